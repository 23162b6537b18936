"""Polling stations, managed by the campaign managers outside the admin: listed, added, edited.

A paper vote's electorate is shared among its polling stations when it is frozen, and its result
sheets are keyed per station (services/paper.py). From the moment a paper vote's window is fixed
(scheduled) until its results are published, the stations are frozen: a station added, moved to
another district or given another roll figure would no longer match the sheets nor the frozen
electorate. Every change is checked and audited.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from civic.audit import audit_record
from civic.errors import Conflict, NotFound, RuleViolation
from civic.models import District, User
from referendums.models import Campaign, CampaignStatus, PollingStation, VotingMethod
from referendums.services.common import require_manager

S = CampaignStatus
# A paper vote in one of these states holds the stations as they are.
STATIONS_FROZEN_BY: frozenset[str] = frozenset({S.SCHEDULED, S.CAMPAIGN, S.VOTING, S.CLOSED})
STATION_FIELDS = ("code", "name", "district_id", "registered_electors")


def stations_frozen_by() -> Campaign | None:
    """The paper vote (the first one) that freezes the polling stations, or None."""
    return (
        Campaign.objects.filter(voting_method=VotingMethod.PAPER, status__in=STATIONS_FROZEN_BY)
        .only("id", "title_fr", "title_en", "status")
        .order_by("voting_opens_at", "id")
        .first()
    )


def _refuse_if_frozen() -> None:
    # Locks the paper votes that freeze the stations, so none is scheduled unseen meanwhile.
    frozen = list(
        Campaign.objects.select_for_update(of=("self",))
        .filter(voting_method=VotingMethod.PAPER, status__in=STATIONS_FROZEN_BY)
        .values_list("title_fr", flat=True)[:1]
    )
    if frozen:
        raise Conflict(
            _(
                "Les bureaux de vote sont figés pendant le scrutin « %(title)s » (de sa "
                "programmation à la publication des résultats)."
            )
            % {"title": frozen[0]},
            code="stations_frozen",
        )


def _check(fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(STATION_FIELDS)
    if unknown:
        raise RuleViolation(f"Unknown fields: {sorted(unknown)}", code="invalid")
    if "district_id" in fields and not District.objects.filter(pk=fields["district_id"]).exists():
        raise RuleViolation(_("Quartier inconnu."), code="unknown_district")
    if int(fields.get("registered_electors", 0)) < 0:
        raise RuleViolation(_("Le nombre d'inscrits ne peut être négatif."), code="invalid")


def _snapshot(station: PollingStation) -> dict[str, Any]:
    return {name: getattr(station, name) for name in STATION_FIELDS}


def _save(station: PollingStation) -> None:
    try:
        with transaction.atomic():
            station.save()
    except IntegrityError as exc:
        raise Conflict(
            _("Un bureau de vote porte déjà ce code."), code="station_code_taken"
        ) from exc


def polling_station_create(*, actor: User, **fields: Any) -> PollingStation:
    require_manager(actor)
    _check(fields)
    with transaction.atomic():
        _refuse_if_frozen()
        station = PollingStation(**fields)
        _save(station)
        audit_record(
            actor=actor,
            verb="referendum.station_create",
            target=station,
            after=_snapshot(station),
        )
    return station


def polling_station_update(*, station_id: int, actor: User, **fields: Any) -> PollingStation:
    require_manager(actor)
    _check(fields)
    with transaction.atomic():
        _refuse_if_frozen()
        station = PollingStation.objects.select_for_update().filter(pk=station_id).first()
        if station is None:
            raise NotFound(_("Bureau de vote introuvable."))
        before = _snapshot(station)
        for name, value in fields.items():
            setattr(station, name, value)
        _save(station)
        audit_record(
            actor=actor,
            verb="referendum.station_update",
            target=station,
            before=before,
            after=_snapshot(station),
        )
    return station
