"""Open data: CSV and JSON with a schema and a licence, safe cells, nothing personal; the staff
export of signatories is for moderators only and audited."""

from __future__ import annotations

import csv
import io
import json
from types import SimpleNamespace

import pytest

from civic.models import AuditEntry, RegisterEntry
from civic.opendata import LICENCE
from dashboards.opendata import DATASETS
from petitions.models import Obligation
from tests.dashboards.factories import sign, tick
from tests.factories import StaffFactory
from tests.petitions.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


def _get(client, name, fmt):  # type: ignore[no-untyped-def]
    response = client.get(f"/tableau-de-bord/donnees/{name}.{fmt}")
    assert response.status_code == 200, (name, fmt)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body.decode()


@pytest.fixture
def data(now):  # type: ignore[no-untyped-def]
    initiative = InitiativeFactory(collecting=True, title='=HYPERLINK("http://evil")')
    from petitions.models import TrackRung

    TrackRung.objects.filter(track__initiative=initiative).update(threshold=2)
    sign(initiative, 3)
    tick()
    InitiativeFactory(title="Brouillon secret")  # never published
    return initiative


@pytest.mark.parametrize("name", list(DATASETS))
def test_every_dataset_downloads_as_csv_with_its_header_and_licence(client, data, name):
    response, text = _get(client, name, "csv")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == list(DATASETS[name].fields)
    assert response["X-Licence"] == LICENCE


@pytest.mark.parametrize("name", list(DATASETS))
def test_every_dataset_downloads_as_json_with_its_schema_and_licence(client, data, name):
    _response, text = _get(client, name, "json")
    body = json.loads(text)
    assert body["licence"] == LICENCE
    assert list(body["schema"]["items"]["properties"]) == list(DATASETS[name].fields)
    for row in body["data"]:
        assert set(row) == set(DATASETS[name].fields)


def test_published_figures_are_in_the_exports(client, data):
    _r, counts = _get(client, "counts", "json")
    total = next(
        r for r in json.loads(counts)["data"] if r["initiative_id"] == data.pk and r["track"] == -1
    )
    assert total["count"] == 3
    _r, rungs = _get(client, "rungs", "json")
    assert json.loads(rungs)["data"][0]["reached_count"] == 3
    _r, obligations = _get(client, "obligations", "json")
    assert [r["initiative_id"] for r in json.loads(obligations)["data"]] == list(
        Obligation.objects.values_list("initiative_id", flat=True)
    )


def test_no_csv_cell_begins_with_a_formula_character(client, data):
    _response, text = _get(client, "initiatives", "csv")
    cells = [c for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for c in row]
    assert '\'=HYPERLINK("http://evil")' in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_an_unpublished_initiative_is_in_no_export(client, data):
    _r, text = _get(client, "initiatives", "csv")
    assert "Brouillon secret" not in text


def test_an_unknown_dataset_or_format_is_404(client, data):
    assert client.get("/tableau-de-bord/donnees/signatures.csv").status_code == 404
    assert client.get("/tableau-de-bord/donnees/initiatives.xlsx").status_code == 404


def test_no_export_names_a_signatory_or_a_register_reference(client, data):
    text = "".join(_get(client, name, fmt)[1] for name in DATASETS for fmt in ("csv", "json"))
    for entry in RegisterEntry.objects.all():
        assert entry.ref not in text
        assert entry.last_name not in text
    assert data.initiator.email not in text


def _signatories(client, initiative):  # type: ignore[no-untyped-def]
    return client.get(f"/tableau-de-bord/staff/initiatives/{initiative.pk}/signataires.csv")


def test_a_moderator_exports_the_signatories_and_the_export_is_audited(client, data):
    moderator = StaffFactory(role="moderator")
    client.force_login(moderator)
    response = _signatories(client, data)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    refs = set(
        RegisterEntry.objects.filter(
            pk__in=data.signatures.values("register_entry_id")
        ).values_list("ref", flat=True)
    )
    assert len(refs) == 3 and all(ref in text for ref in refs)
    assert response["Cache-Control"] == "private, no-store"
    entry = AuditEntry.objects.get(verb="initiative.signatories_exported")
    assert entry.actor_id == moderator.pk
    assert entry.target_id == str(data.pk)


def test_a_resident_cannot_export_signatories_and_nothing_is_audited(client, data):
    client.force_login(data.initiator)
    assert _signatories(client, data).status_code == 404
    assert not AuditEntry.objects.filter(verb="initiative.signatories_exported").exists()


def test_a_visitor_is_sent_to_log_in_for_the_signatories(client, data):
    response = _signatories(client, data)
    assert response.status_code == 302
    assert not AuditEntry.objects.filter(verb="initiative.signatories_exported").exists()


def test_a_clerk_cannot_export_signatories(client, data):
    client.force_login(StaffFactory(role="assembly_clerk"))
    assert _signatories(client, data).status_code == 404


# The published columns are a contract with re-users: a change here is a change of the open data.
HEADERS = {
    "initiatives": [
        "id",
        "title",
        "summary",
        "status",
        "district",
        "instruments",
        "published_at",
        "closes_at",
        "closed_at",
        "withdrawn_at",
    ],
    "counts": ["initiative_id", "track", "instrument", "count", "updated_at"],
    "rungs": [
        "initiative_id",
        "track",
        "instrument",
        "order",
        "threshold",
        "obligation_kind",
        "reached_at",
        "reached_count",
    ],
    "obligations": [
        "id",
        "initiative_id",
        "kind",
        "text",
        "created_at",
        "due_at",
        "status",
        "done_at",
        "evidence_url",
        "evidence_text",
    ],
    "referendum-stations": [
        "campaign_id",
        "station",
        "station_name",
        "district",
        "registered",
        "voters",
        "blank",
        "null",
        "yes",
        "no",
    ],
    "referendum-districts": [
        "campaign_id",
        "district",
        "electorate",
        "participations",
        "question_id",
        "option",
        "count",
        "suppressed",
    ],
    "assembly-sessions": [
        "id",
        "title",
        "starts_at",
        "place",
        "status",
        "agenda_published_at",
        "opened_at",
        "closed_at",
    ],
    "assembly-votes": [
        "id",
        "session_id",
        "title",
        "kind",
        "majority",
        "result",
        "votes_for",
        "votes_against",
        "abstentions",
        "present",
        "closed_at",
    ],
    "assembly-minutes": ["session_id", "approved_at", "published_at", "body"],
}


def test_every_dataset_publishes_exactly_its_pinned_columns_in_order(client, data):
    assert list(DATASETS) == list(HEADERS)
    for name, header in HEADERS.items():
        _response, text = _get(client, name, "csv")
        assert next(csv.reader(io.StringIO(text.lstrip("\ufeff")))) == header, name
        _response, text = _get(client, name, "json")
        assert list(json.loads(text)["schema"]["items"]["required"]) == header, name


@pytest.fixture
def other_instruments(now):  # type: ignore[no-untyped-def]
    """A published paper referendum with two counted stations and district results, a closed
    assembly session with an adopted motion and its published minutes (built directly: only the
    exports' mapping of these rows is under test here)."""
    from django.utils import timezone

    from assembly.models import Minutes, Motion
    from referendums.models import CampaignStatus
    from referendums.models.paper import StationResult
    from tests.assembly.factories import SessionFactory
    from tests.referendums.factories import CampaignFactory, PollingStationFactory

    at = timezone.now()
    results = {
        "districts": [
            {
                "code": "centre",
                "electorate": 10,
                "participations": 5,
                "questions": [
                    {
                        "id": 7,
                        "options": [
                            {"key": "yes", "count": 3},
                            {"key": "no", "count": None, "suppressed": True},
                        ],
                    }
                ],
            }
        ]
    }
    campaign = CampaignFactory(
        binding=True,
        status=CampaignStatus.RESULTS_PUBLISHED,
        opened_at=at,
        closed_at=at,
        published_at=at,
        voting_closes_at=at,
        results=results,
    )
    CampaignFactory(binding=True, status=CampaignStatus.CLOSED, opened_at=at, closed_at=at)
    for code in ("b2", "b1"):
        StationResult.objects.create(
            campaign=campaign,
            station=PollingStationFactory(code=code, name=f"Bureau {code}"),
            status="agreed",
            registered=100,
            voters=50,
            blank=2,
            null=3,
            yes=30,
            no=15,
        )
    session = SessionFactory(status="closed", opened_at=at, closed_at=at, agenda_published_at=at)
    SessionFactory(status="planned")
    motion = Motion.objects.create(
        session=session,
        title="Motion 1",
        majority="simple",
        status="closed",
        result="adopted",
        votes_for=3,
        present_count=4,
        closed_at=at,
    )
    Minutes.objects.create(
        session=session,
        body="Procès-verbal",
        status="published",
        drafted_at=at,
        approved_at=at,
        approved_in=SessionFactory(status="closed"),
        published_at=at,
    )
    return SimpleNamespace(campaign=campaign, session=session, motion=motion)


def _data(client, name):  # type: ignore[no-untyped-def]
    return json.loads(_get(client, name, "json")[1])["data"]


def test_referendum_exports_hold_published_stations_and_district_cells(client, other_instruments):
    campaign = other_instruments.campaign.pk
    stations = _data(client, "referendum-stations")
    assert [(r["campaign_id"], r["station"], r["station_name"]) for r in stations] == [
        (campaign, "b1", "Bureau b1"),
        (campaign, "b2", "Bureau b2"),
    ]
    assert stations[0]["district"] and stations[0]["voters"] == 50 and stations[0]["null"] == 3
    assert _data(client, "referendum-districts") == [
        {
            "campaign_id": campaign,
            "district": "centre",
            "electorate": 10,
            "participations": 5,
            "question_id": 7,
            "option": option,
            "count": count,
            "suppressed": suppressed,
        }
        for option, count, suppressed in (("yes", 3, False), ("no", None, True))
    ]


def test_assembly_exports_hold_sessions_vote_totals_and_published_minutes(
    client, other_instruments
):
    session, motion = other_instruments.session, other_instruments.motion
    sessions = _data(client, "assembly-sessions")
    assert session.pk in [r["id"] for r in sessions] and "planned" not in {
        r["status"] for r in sessions
    }
    (vote,) = _data(client, "assembly-votes")
    assert (vote["id"], vote["session_id"], vote["result"]) == (motion.pk, session.pk, "adopted")
    assert (vote["votes_for"], vote["present"]) == (3, 4)
    (minutes,) = _data(client, "assembly-minutes")
    assert (minutes["session_id"], minutes["body"]) == (session.pk, "Procès-verbal")
