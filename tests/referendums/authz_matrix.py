"""The referendums rows of the authorisation matrix (collected by tests/security/matrix.py).

The world gets, lazily and once per test: a draft online vote, an online vote open now (the
world's two residents are in its electorate), a closed online vote, a published one, and a closed
paper referendum whose one station has a discrepancy keyed by two other agents.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.security.matrix import DENIED, OK, Row, roles

BASE = "/api/v1/referendums"
MANAGERS = {"administrator": OK, "campaign_manager": OK}


def _figures(**overrides: int) -> dict[str, int]:
    figures = {"registered": 100, "voters": 60, "blank": 2, "null": 3, "yes": 30, "no": 25}
    figures.update(overrides)
    return figures


def _online(world: Any, *, status: str) -> Any:
    from django.utils import timezone

    from referendums.models import Campaign
    from referendums.services.campaigns import (
        campaign_publish_results,
        campaigns_advance,
        voting_close_due,
    )
    from referendums.services.voting import ballot_cast
    from tests.factories import StaffFactory
    from tests.referendums.factories import CampaignFactory

    if status == "draft":
        now = timezone.now()
        return CampaignFactory(
            campaign_opens_at=now + timedelta(days=1),
            voting_opens_at=now + timedelta(days=10),
            voting_closes_at=now + timedelta(days=11),
        )
    campaign = CampaignFactory(status="scheduled")
    campaigns_advance()
    question = str(campaign.questions.get().pk)
    if status == "voting":
        return campaign
    for role, choice in (("resident", "o1"), ("other_resident", "o2")):
        ballot_cast(campaign_id=campaign.pk, user=world.user(role), choices={question: choice})
    Campaign.objects.filter(pk=campaign.pk).update(
        voting_closes_at=timezone.now() - timedelta(seconds=1)
    )
    voting_close_due(campaign_id=campaign.pk)
    if status == "published":
        campaign_publish_results(
            campaign_id=campaign.pk, actor=StaffFactory(role="campaign_manager")
        )
    return campaign


def _paper(world: Any) -> Any:
    from django.utils import timezone

    from referendums.services.paper import sheet_enter
    from tests.factories import StaffFactory
    from tests.referendums.factories import (
        CampaignFactory,
        PollingStationFactory,
        freeze_stations,
    )

    station = PollingStationFactory(code="bv-matrix")
    # A second station of the scope, keyed by the sheets row (its electorate frozen with the first).
    other = PollingStationFactory(code="bv-matrix-2")
    campaign = CampaignFactory(
        binding=True, status="closed", opened_at=timezone.now(), closed_at=timezone.now()
    )
    freeze_stations(campaign, {station: 100, other: 100})
    keyers = [StaffFactory(role="campaign_manager") for _ in range(2)]
    sheet_enter(
        campaign_id=campaign.pk, station_code=station.code, actor=keyers[0], figures=_figures()
    )
    sheet_enter(
        campaign_id=campaign.pk,
        station_code=station.code,
        actor=keyers[1],
        figures=_figures(yes=29, no=26),
    )
    return campaign


def campaign(world: Any, kind: str) -> Any:
    cache = world.__dict__.setdefault("referendums", {})
    if kind not in cache:
        cache[kind] = _paper(world) if kind == "paper" else _online(world, status=kind)
    return cache[kind]


def _id(kind: str) -> Any:
    return lambda world: {"id": campaign(world, kind).pk}


def _status_is(kind: str, status: str) -> Any:
    def effect(world: Any) -> bool:
        from referendums.models import Campaign

        return Campaign.objects.get(pk=campaign(world, kind).pk).status == status

    return effect


def _created(world: Any) -> bool:
    from referendums.models import Campaign

    return Campaign.objects.filter(title_fr="Matrice").exists()


def _create_body(world: Any, role: str) -> dict[str, Any]:
    from django.utils import timezone

    now = timezone.now()
    return {
        "kind": "online_vote",
        "title_fr": "Matrice",
        "cutoff_date": (now + timedelta(days=2)).date().isoformat(),
        "campaign_opens_at": (now + timedelta(days=2)).isoformat(),
        "voting_opens_at": (now + timedelta(days=9)).isoformat(),
        "voting_closes_at": (now + timedelta(days=10)).isoformat(),
    }


def _voted(world: Any) -> bool:
    from referendums.models import Participation

    return Participation.objects.filter(campaign=campaign(world, "voting")).exists()


def _no_partial_result(world: Any, role: str, data: Any) -> None:
    assert "questions" not in data and "options" not in str(data), f"{role} sees contents"


def _renamed(world: Any) -> bool:
    from referendums.models import Campaign

    return Campaign.objects.get(pk=campaign(world, "draft").pk).title_en == "Renamed"


def _campaigner_added(world: Any) -> bool:
    from referendums.models import Campaigner

    return Campaigner.objects.filter(campaign=campaign(world, "draft")).exists()


def _sheet_keyed(world: Any) -> bool:
    from referendums.models import ResultSheet

    return ResultSheet.objects.filter(campaign=campaign(world, "paper")).count() == 3


def _resolved(world: Any) -> bool:
    from referendums.models import StationResult

    return StationResult.objects.get(campaign=campaign(world, "paper")).status == "resolved"


def _fresh_station(world: Any, role: str) -> dict[str, Any]:
    campaign(world, "paper")
    return {"station": "bv-matrix-2", **_figures()}


MATRIX: dict[tuple[str, str], Row] = {
    ("GET", f"{BASE}/"): Row(expect=roles(OK), note="public list; staff also see drafts"),
    ("POST", f"{BASE}/"): Row(expect=roles(DENIED, **MANAGERS), body=_create_body, effect=_created),
    ("GET", f"{BASE}/{{id}}/"): Row(expect=roles(OK), params=_id("voting")),
    ("PATCH", f"{BASE}/{{id}}/"): Row(
        expect=roles(DENIED, **MANAGERS),
        params=_id("draft"),
        body=lambda world, role: {"title_en": "Renamed"},
        effect=_renamed,
    ),
    ("POST", f"{BASE}/{{id}}/schedule/"): Row(
        expect=roles(DENIED, **MANAGERS),
        params=_id("draft"),
        effect=_status_is("draft", "scheduled"),
    ),
    ("POST", f"{BASE}/{{id}}/cancel/"): Row(
        expect=roles(DENIED, **MANAGERS),
        params=_id("draft"),
        effect=_status_is("draft", "cancelled"),
    ),
    ("POST", f"{BASE}/{{id}}/publish/"): Row(
        expect=roles(DENIED, **MANAGERS),
        params=_id("closed"),
        effect=_status_is("closed", "results_published"),
    ),
    ("POST", f"{BASE}/{{id}}/archive/"): Row(
        expect=roles(DENIED, **MANAGERS),
        params=_id("published"),
        effect=_status_is("published", "archived"),
    ),
    ("POST", f"{BASE}/{{id}}/ballots/"): Row(
        # Verified electors of the frozen electorate only; staff accounts are not electors.
        expect=roles(DENIED, resident=OK, other_resident=OK),
        params=_id("voting"),
        body=lambda world, role: {
            "choices": {str(campaign(world, "voting").questions.get().pk): "o1"}
        },
        effect=_voted,
    ),
    ("GET", f"{BASE}/{{id}}/turnout/"): Row(
        expect=roles(OK), params=_id("voting"), check=_no_partial_result
    ),
    ("GET", f"{BASE}/{{id}}/results/"): Row(expect=roles(OK), params=_id("published")),
    ("GET", f"{BASE}/{{id}}/ballot-box/"): Row(expect=roles(OK), params=_id("closed")),
    ("POST", f"{BASE}/{{id}}/receipts/check/"): Row(
        expect=roles(OK),
        params=_id("closed"),
        body=lambda world, role: {"receipt": "AAAA-BBBB-CCCC-DDDD-EEEE"},
    ),
    ("POST", f"{BASE}/{{id}}/campaigners/"): Row(
        expect=roles(DENIED, **MANAGERS),
        params=_id("draft"),
        body=lambda world, role: {"name": "Groupe", "side": "for", "argument_fr": "Texte"},
        effect=_campaigner_added,
    ),
    ("GET", f"{BASE}/{{id}}/sheets/"): Row(
        expect=roles(DENIED, auditor=OK, **MANAGERS), params=_id("paper")
    ),
    ("POST", f"{BASE}/{{id}}/sheets/"): Row(
        expect=roles(DENIED, **MANAGERS),
        params=_id("paper"),
        body=_fresh_station,
        effect=_sheet_keyed,
    ),
    ("POST", f"{BASE}/{{id}}/stations/{{code}}/resolve/"): Row(
        expect=roles(DENIED, **MANAGERS),
        params=lambda world: {"id": campaign(world, "paper").pk, "code": "bv-matrix"},
        body=lambda world, role: {**_figures(), "note": "PV relu"},
        effect=_resolved,
    ),
}
