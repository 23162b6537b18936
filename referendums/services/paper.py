"""The paper referendum: result sheets keyed twice, discrepancies resolved, the LO1112-7 verdict."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from civic.audit import audit_record
from civic.errors import Conflict, DomainError, NotFound, PermissionDenied, RuleViolation
from civic.models import User
from civic.roles import Role, has_role
from referendums.models import (
    Campaign,
    CampaignDistrict,
    CampaignKind,
    CampaignStatus,
    PollingStation,
    ResultSheet,
    StationElectorate,
    StationResult,
    StationStatus,
    VotingMethod,
)
from referendums.models.paper import SHEET_FIELDS

RULE_VERDICT = "CGCT LO1112-7"
COUNTED = (StationStatus.AGREED, StationStatus.RESOLVED)


def _require_manager(actor: User) -> None:
    if not has_role(actor, Role.CAMPAIGN_MANAGER):
        raise PermissionDenied(_("Action réservée aux responsables de campagne."))


def check_figures(figures: dict[str, int]) -> None:
    """voters <= registered and blank + null + yes + no == voters (the minutes add up)."""
    if any(not isinstance(figures.get(f), int) or figures[f] < 0 for f in SHEET_FIELDS):
        raise DomainError(_("Chiffres invalides."), code="invalid_figures")
    if figures["voters"] > figures["registered"]:
        raise RuleViolation(_("Plus de votants que d'inscrits."), code="voters_exceed_registered")
    if figures["blank"] + figures["null"] + figures["yes"] + figures["no"] != figures["voters"]:
        raise RuleViolation(
            _("Blancs + nuls + oui + non doit égaler le nombre de votants."),
            code="sheet_sum_mismatch",
        )


def stations_for(campaign: Campaign) -> list[PollingStation]:
    stations = PollingStation.objects.select_related("district")
    if not campaign.whole_city:
        stations = stations.filter(
            district__in=CampaignDistrict.objects.filter(campaign=campaign).values("district")
        )
    return list(stations.order_by("code"))


def _paper_campaign(campaign_id: int) -> Campaign:
    campaign = (
        Campaign.objects.select_for_update(of=("self",))
        .filter(pk=campaign_id, voting_method=VotingMethod.PAPER)
        .first()
    )
    if campaign is None:
        raise NotFound(_("Référendum introuvable."))
    if campaign.status != CampaignStatus.CLOSED:
        raise Conflict(
            _("Les procès-verbaux se saisissent après la clôture du scrutin, avant publication."),
            code="sheets_not_open",
        )
    return campaign


def station_electorate(campaign: Campaign, station: PollingStation) -> int:
    """The station's electors frozen with the vote's electorate; refused when there are none (a
    vote whose electorate was never frozen cannot be counted against typed figures)."""
    electors = (
        StationElectorate.objects.filter(campaign=campaign, station=station)
        .values_list("electors", flat=True)
        .first()
    )
    if electors is None:
        raise Conflict(
            _(
                "Aucun corps électoral figé pour ce bureau : les procès-verbaux ne peuvent être "
                "comparés à rien."
            ),
            code="station_electorate_missing",
        )
    return electors


def check_registered(*, frozen: int, registered: int, note: str) -> None:
    """A sheet's "registered" equals the station's frozen electorate, or says why it differs."""
    if registered != frozen and not note.strip():
        raise RuleViolation(
            _(
                "Le procès-verbal indique %(typed)s inscrits, le corps électoral figé du bureau "
                "en compte %(frozen)s : corrigez la saisie ou expliquez l'écart."
            )
            % {"typed": registered, "frozen": frozen},
            code="registered_mismatch",
        )


def sheet_enter(
    *,
    campaign_id: int,
    station_code: str,
    actor: User,
    figures: dict[str, int],
    registered_note: str = "",
) -> ResultSheet:
    """Key one station's minutes. The first keying waits; the second, by someone else, either
    agrees (the station counts) or flags a discrepancy for resolution. A "registered" figure other
    than the station's frozen electorate is refused unless the keyer writes why; even then the
    station counts only once a third person resolves it (the reason is published)."""
    _require_manager(actor)
    check_figures(figures)
    registered_note = registered_note.strip()
    with transaction.atomic():
        campaign = _paper_campaign(campaign_id)
        station = PollingStation.objects.filter(code=station_code).first()
        if station is None or station not in stations_for(campaign):
            raise NotFound(_("Bureau de vote inconnu pour ce scrutin."))
        frozen = station_electorate(campaign, station)
        check_registered(frozen=frozen, registered=figures["registered"], note=registered_note)
        if figures["registered"] == frozen:
            registered_note = ""
        result, _created = StationResult.objects.select_for_update().get_or_create(
            campaign=campaign, station=station
        )
        existing = list(ResultSheet.objects.filter(campaign=campaign, station=station))
        if any(s.entered_by_id == actor.pk for s in existing):
            raise Conflict(
                _("La seconde saisie doit être faite par une autre personne."),
                code="same_author",
            )
        if len(existing) >= 2:
            raise Conflict(_("Ce bureau a déjà ses deux saisies."), code="sheet_complete")
        try:
            with transaction.atomic():
                sheet = ResultSheet.objects.create(
                    campaign=campaign,
                    station=station,
                    entry_number=len(existing) + 1,
                    entered_by=actor,
                    registered_note=registered_note,
                    **{f: figures[f] for f in SHEET_FIELDS},
                )
        except IntegrityError as exc:  # the database's word on doubles and on the two authors
            raise Conflict(_("Saisie en double."), code="sheet_conflict") from exc
        if existing:
            first = existing[0]
            if first.figures() == sheet.figures() and figures["registered"] == frozen:
                result.status = StationStatus.AGREED
                for f in SHEET_FIELDS:
                    setattr(result, f, figures[f])
            else:
                result.status = StationStatus.DISCREPANCY
            result.save()
        audit_record(
            actor=actor,
            verb="referendum.sheet_enter",
            target=sheet,
            after={
                "station": station.code,
                "entry": sheet.entry_number,
                **figures,
                "electorate": frozen,
                "registered_note": registered_note,
            },
        )
    return sheet


def station_resolve(
    *, campaign_id: int, station_code: str, actor: User, figures: dict[str, int], note: str
) -> StationResult:
    """Settle a discrepancy with the figures of the minutes, by someone who keyed neither entry."""
    _require_manager(actor)
    check_figures(figures)
    if not note.strip():
        raise DomainError(_("Expliquez la résolution."), code="note_required")
    with transaction.atomic():
        campaign = _paper_campaign(campaign_id)
        result = (
            StationResult.objects.select_for_update()
            .filter(campaign=campaign, station__code=station_code)
            .first()
        )
        if result is None or result.status != StationStatus.DISCREPANCY:
            raise Conflict(_("Aucun écart à résoudre pour ce bureau."), code="no_discrepancy")
        frozen = station_electorate(campaign, result.station)
        check_registered(frozen=frozen, registered=figures["registered"], note=note)
        if ResultSheet.objects.filter(
            campaign=campaign, station=result.station_id, entered_by=actor
        ).exists():
            raise Conflict(
                _("La résolution doit être faite par une personne qui n'a pas saisi."),
                code="same_author",
            )
        before = {
            s.entry_number: s.figures()
            for s in ResultSheet.objects.filter(campaign=campaign, station=result.station_id)
        }
        result.status = StationStatus.RESOLVED
        result.resolved_by = actor
        result.resolution_note = note
        for f in SHEET_FIELDS:
            setattr(result, f, figures[f])
        result.save()
        audit_record(
            actor=actor,
            verb="referendum.station_resolve",
            target=result,
            before=before,
            after={**figures, "electorate": frozen, "note": note},
        )
    return result


def verdict(*, registered: int, voters: int, yes: int, no: int) -> dict[str, Any]:
    """LO1112-7: adopted only if at least half of the registered electors voted and yes has the
    majority of the votes cast (blank and null are not votes cast). A tie is not a majority."""
    quorum = voters * 2 >= registered and registered > 0
    majority = yes > no
    reasons = []
    if not quorum:
        reasons.append("quorum_not_reached")
    if not majority:
        reasons.append("no_majority")
    return {"adopted": quorum and majority, "reasons": reasons, "rule": RULE_VERDICT}


def paper_results(*, campaign: Campaign) -> dict[str, Any]:
    """Sum the counted stations; refuse while any station is missing or disputed."""
    stations = stations_for(campaign)
    results = {r.station_id: r for r in StationResult.objects.filter(campaign=campaign)}
    missing = [
        s.code for s in stations if s.pk not in results or results[s.pk].status not in COUNTED
    ]
    if not stations or missing:
        raise Conflict(
            _("Bureaux non dépouillés ou en écart : %(codes)s") % {"codes": ", ".join(missing)},
            code="stations_pending",
        )
    frozen = dict(
        StationElectorate.objects.filter(campaign=campaign).values_list("station_id", "electors")
    )
    unfrozen = [s.code for s in stations if s.pk not in frozen]
    if unfrozen:
        raise Conflict(
            _("Aucun corps électoral figé pour : %(codes)s") % {"codes": ", ".join(unfrozen)},
            code="station_electorate_missing",
        )
    totals = dict.fromkeys(SHEET_FIELDS, 0)
    per_station = []
    per_district: dict[str, dict[str, int]] = {}
    for station in stations:
        r = results[station.pk]
        figures = {f: int(getattr(r, f)) for f in SHEET_FIELDS}
        # The quorum's denominator is the frozen electorate, never a typed figure; the minutes'
        # own figure is published beside it, with the written reason when they differ.
        on_minutes = figures["registered"]
        figures["registered"] = frozen[station.pk]
        for f in SHEET_FIELDS:
            totals[f] += figures[f]
        district = per_district.setdefault(station.district.code, dict.fromkeys(SHEET_FIELDS, 0))
        for f in SHEET_FIELDS:
            district[f] += figures[f]
        # A polling station's figures are public by law (the minutes are posted at the station),
        # so district sums of stations are not suppressed: they reveal nothing the minutes do not.
        per_station.append(
            {
                "code": station.code,
                "name": station.name,
                "district": station.district.code,
                **figures,
                "registered_on_minutes": on_minutes,
                "registered_note": r.resolution_note if on_minutes != figures["registered"] else "",
            }
        )
    return {
        "method": "paper",
        **totals,
        "votes_cast": totals["yes"] + totals["no"],
        "turnout_percent": round(100 * totals["voters"] / totals["registered"], 2)
        if totals["registered"]
        else None,
        # An advisory consultation only gives an opinion: no quorum, no verdict (L1112-20).
        "verdict": None
        if campaign.kind == CampaignKind.ADVISORY_CONSULTATION
        else verdict(
            registered=totals["registered"],
            voters=totals["voters"],
            yes=totals["yes"],
            no=totals["no"],
        ),
        "stations": per_station,
        "districts": [
            {
                "code": code,
                "registered": v["registered"],
                "voters": v["voters"],
                **{k: v[k] for k in ("yes", "no", "blank", "null")},
            }
            for code, v in sorted(per_district.items())
        ],
    }
