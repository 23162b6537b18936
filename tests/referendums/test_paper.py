"""Paper referendum: double keying by two people, discrepancies, consistency, the LO1112-7 verdict."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from civic.errors import Conflict, RuleViolation
from referendums.models import CampaignStatus, ResultSheet, StationResult, StationStatus
from referendums.services.campaigns import campaign_publish_results
from referendums.services.paper import sheet_enter, station_resolve, verdict
from tests.factories import DistrictFactory, StaffFactory
from tests.referendums.factories import CampaignFactory, PollingStationFactory, freeze_stations

pytestmark = pytest.mark.django_db


def figures(registered=1000, voters=600, blank=10, null=5, yes=300, no=285):
    return {
        "registered": registered,
        "voters": voters,
        "blank": blank,
        "null": null,
        "yes": yes,
        "no": no,
    }


@pytest.fixture
def paper():
    district = DistrictFactory()
    stations = [PollingStationFactory(district=district) for _ in range(2)]
    campaign = CampaignFactory(
        binding=True,
        status=CampaignStatus.CLOSED,
        opened_at=timezone.now(),
        closed_at=timezone.now(),
    )
    freeze_stations(campaign, dict.fromkeys(stations, 1000))
    clerks = [StaffFactory(role="campaign_manager") for _ in range(3)]
    return campaign, stations, clerks


def _key_both(campaign, station, clerks, first, second=None):
    sheet_enter(campaign_id=campaign.pk, station_code=station.code, actor=clerks[0], figures=first)
    sheet_enter(
        campaign_id=campaign.pk, station_code=station.code, actor=clerks[1], figures=second or first
    )


def test_two_agreeing_keyings_by_two_people_make_the_station_count(paper):
    campaign, stations, clerks = paper
    sheet_enter(
        campaign_id=campaign.pk, station_code=stations[0].code, actor=clerks[0], figures=figures()
    )
    assert StationResult.objects.get(station=stations[0]).status == StationStatus.PENDING
    sheet_enter(
        campaign_id=campaign.pk, station_code=stations[0].code, actor=clerks[1], figures=figures()
    )
    result = StationResult.objects.get(station=stations[0])
    assert result.status == StationStatus.AGREED and result.yes == 300


def test_the_same_person_cannot_key_both_entries(paper):
    campaign, stations, clerks = paper
    sheet_enter(
        campaign_id=campaign.pk, station_code=stations[0].code, actor=clerks[0], figures=figures()
    )
    with pytest.raises(Conflict) as exc:
        sheet_enter(
            campaign_id=campaign.pk,
            station_code=stations[0].code,
            actor=clerks[0],
            figures=figures(),
        )
    assert exc.value.code == "same_author"


def test_the_database_refuses_two_entries_by_one_author_or_a_third_entry(paper):
    campaign, stations, clerks = paper
    base = {"campaign": campaign, "station": stations[0], **figures()}
    ResultSheet.objects.create(entry_number=1, entered_by=clerks[0], **base)
    with pytest.raises(IntegrityError), transaction.atomic():
        ResultSheet.objects.create(entry_number=2, entered_by=clerks[0], **base)
    with pytest.raises(IntegrityError), transaction.atomic():
        ResultSheet.objects.create(entry_number=1, entered_by=clerks[1], **base)
    with pytest.raises(IntegrityError), transaction.atomic():
        ResultSheet.objects.create(entry_number=3, entered_by=clerks[2], **base)


def test_inconsistent_minutes_are_refused(paper):
    campaign, stations, clerks = paper
    with pytest.raises(RuleViolation) as exc:
        sheet_enter(
            campaign_id=campaign.pk,
            station_code=stations[0].code,
            actor=clerks[0],
            figures=figures(registered=100, voters=101, yes=86, no=0),
        )
    assert exc.value.code == "voters_exceed_registered"
    with pytest.raises(RuleViolation) as exc:
        sheet_enter(
            campaign_id=campaign.pk,
            station_code=stations[0].code,
            actor=clerks[0],
            figures=figures(yes=301),
        )
    assert exc.value.code == "sheet_sum_mismatch"
    with pytest.raises(IntegrityError), transaction.atomic():
        ResultSheet.objects.create(
            campaign=campaign,
            station=stations[0],
            entry_number=1,
            entered_by=clerks[0],
            **figures(yes=301),
        )


def test_a_discrepancy_is_flagged_and_blocks_publication_until_resolved(paper):
    campaign, stations, clerks = paper
    _key_both(campaign, stations[0], clerks, figures(), figures(yes=299, no=286))
    _key_both(campaign, stations[1], clerks, figures())
    assert StationResult.objects.get(station=stations[0]).status == StationStatus.DISCREPANCY
    with pytest.raises(Conflict) as exc:
        campaign_publish_results(campaign_id=campaign.pk, actor=clerks[0])
    assert exc.value.code == "stations_pending"
    with pytest.raises(Conflict) as exc:  # a keyer cannot settle their own discrepancy
        station_resolve(
            campaign_id=campaign.pk,
            station_code=stations[0].code,
            actor=clerks[0],
            figures=figures(),
            note="PV relu",
        )
    assert exc.value.code == "same_author"
    station_resolve(
        campaign_id=campaign.pk,
        station_code=stations[0].code,
        actor=clerks[2],
        figures=figures(),
        note="PV relu en présence des deux agents",
    )
    published = campaign_publish_results(campaign_id=campaign.pk, actor=clerks[2])
    assert published.status == CampaignStatus.RESULTS_PUBLISHED
    assert published.results["yes"] == 600 and published.results["registered"] == 2000
    assert published.results["verdict"]["adopted"] is True
    deadline = timezone.localdate() + timedelta(days=5)
    assert published.results["challenge_deadline"] == deadline.isoformat()
    assert [s["code"] for s in published.results["stations"]] == [s.code for s in stations]


def test_a_missing_station_blocks_publication(paper):
    campaign, stations, clerks = paper
    _key_both(campaign, stations[0], clerks, figures())
    with pytest.raises(Conflict):
        campaign_publish_results(campaign_id=campaign.pk, actor=clerks[0])


def test_sheets_are_keyed_only_after_the_close(paper):
    _campaign, stations, clerks = paper
    open_campaign = CampaignFactory(
        binding=True, status=CampaignStatus.VOTING, opened_at=timezone.now()
    )
    with pytest.raises(Conflict) as exc:
        sheet_enter(
            campaign_id=open_campaign.pk,
            station_code=stations[0].code,
            actor=clerks[0],
            figures=figures(),
        )
    assert exc.value.code == "sheets_not_open"


def test_sheet_endpoints_are_for_staff(paper, api, staff_api):
    campaign, stations, _clerks = paper
    url = f"/api/v1/referendums/{campaign.pk}/sheets/"
    body = {"station": stations[0].code, **figures()}
    assert api.post(url, body, format="json").status_code in (401, 403)
    assert staff_api("auditor").post(url, body, format="json").status_code == 403
    assert staff_api("auditor").get(url).status_code == 200
    first = staff_api("campaign_manager").post(url, body, format="json")
    assert first.status_code == 201 and first.json()["status"] == "pending"
    second = staff_api("campaign_manager").post(url, {**body, "yes": 299, "no": 286}, format="json")
    assert second.json()["status"] == "discrepancy"
    listing = staff_api("auditor").get(url).json()
    assert len(listing[0]["entries"]) == 2
    resolved = staff_api("campaign_manager").post(
        f"/api/v1/referendums/{campaign.pk}/stations/{stations[0].code}/resolve/",
        {**figures(), "note": "PV relu"},
        format="json",
    )
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"


@pytest.mark.parametrize(
    ("registered", "voters", "yes", "no", "adopted", "reasons"),
    [
        (1000, 500, 251, 200, True, []),  # exactly half voted: quorum met
        (1001, 500, 251, 200, False, ["quorum_not_reached"]),  # just under half
        (1000, 499, 300, 100, False, ["quorum_not_reached"]),
        (1000, 600, 250, 250, False, ["no_majority"]),  # a tie is not a majority
        (1000, 600, 10, 9, True, []),  # blank and null (581) are not votes cast
        (1000, 400, 100, 300, False, ["quorum_not_reached", "no_majority"]),
        (0, 0, 0, 0, False, ["quorum_not_reached", "no_majority"]),
    ],
)
def test_the_lo1112_7_verdict(registered, voters, yes, no, adopted, reasons):
    outcome = verdict(registered=registered, voters=voters, yes=yes, no=no)
    assert outcome["adopted"] is adopted
    assert outcome["reasons"] == reasons
    assert outcome["rule"] == "CGCT LO1112-7"


def test_the_results_page_says_why_a_referendum_is_not_adopted(paper, client):
    campaign, stations, clerks = paper
    tie = figures(voters=600, blank=50, null=50, yes=250, no=250)
    for station in stations:
        _key_both(campaign, station, clerks, tie)
    campaign_publish_results(campaign_id=campaign.pk, actor=clerks[2])
    page = client.get(f"/referendums/{campaign.pk}/results/").content.decode()
    assert "n&#x27;est pas adopté" in page or "n'est pas adopté" in page
    assert "majorité des suffrages exprimés" in page


def test_the_staff_page_keys_sheets_twice_and_resolves(paper, client):
    campaign, stations, clerks = paper
    url = f"/referendums/{campaign.pk}/sheets/"
    data = {"action": "enter", "enter-station": stations[0].code}
    data.update({f"enter-{k}": v for k, v in figures().items()})
    client.force_login(clerks[0])
    assert client.post(url, data).status_code == 302
    again = client.post(url, data)  # the same person again: refused, shown on the form
    assert again.status_code == 200 and "autre personne" in again.content.decode()
    client.force_login(clerks[1])
    data.update({"enter-yes": 299, "enter-no": 286})
    assert client.post(url, data).status_code == 302
    assert StationResult.objects.get(station=stations[0]).status == StationStatus.DISCREPANCY
    client.force_login(clerks[2])
    resolve = {"action": "resolve", "resolve-station": stations[0].code, "resolve-note": "PV relu"}
    resolve.update({f"resolve-{k}": v for k, v in figures().items()})
    assert client.post(url, resolve).status_code == 302
    assert StationResult.objects.get(station=stations[0]).status == StationStatus.RESOLVED


def test_the_staff_sheet_page_is_closed_to_residents_and_read_only_for_auditors(paper, client):
    campaign, stations, _clerks = paper
    url = f"/referendums/{campaign.pk}/sheets/"
    client.force_login(StaffFactory(role="moderator"))
    assert client.get(url).status_code == 403
    client.force_login(StaffFactory(role="auditor"))
    assert client.get(url).status_code == 200
    data = {"action": "enter", "enter-station": stations[0].code}
    data.update({f"enter-{k}": v for k, v in figures().items()})
    assert client.post(url, data).status_code == 403
    assert not ResultSheet.objects.exists()


def test_an_advisory_paper_consultation_has_no_verdict(client):
    district = DistrictFactory()
    stations = [PollingStationFactory(district=district)]
    campaign = CampaignFactory(
        kind="advisory_consultation",
        voting_method="paper",
        status=CampaignStatus.CLOSED,
        opened_at=timezone.now(),
        closed_at=timezone.now(),
    )
    freeze_stations(campaign, {stations[0]: 1000})
    clerks = [StaffFactory(role="campaign_manager") for _ in range(2)]
    _key_both(campaign, stations[0], clerks, figures(voters=100, blank=0, null=0, yes=90, no=10))
    published = campaign_publish_results(campaign_id=campaign.pk, actor=clerks[0])
    assert published.results["verdict"] is None
    assert "pour avis" in client.get(f"/referendums/{campaign.pk}/results/").content.decode()


# --- The registered figure against the station's frozen electorate -------------------------------


def test_a_sheet_claiming_more_registered_than_the_frozen_electorate_is_refused(paper, staff_api):
    campaign, stations, clerks = paper
    with pytest.raises(RuleViolation) as exc:
        sheet_enter(
            campaign_id=campaign.pk,
            station_code=stations[0].code,
            actor=clerks[0],
            figures=figures(registered=1600),
        )
    assert exc.value.code == "registered_mismatch"
    answer = staff_api("campaign_manager").post(
        f"/api/v1/referendums/{campaign.pk}/sheets/",
        {"station": stations[0].code, **figures(registered=1600)},
        format="json",
    )
    assert answer.status_code == 400 and answer.json()["code"] == "registered_mismatch"
    assert not ResultSheet.objects.exists()


def test_a_sheet_for_a_vote_without_a_frozen_electorate_is_refused(staff_api):
    station = PollingStationFactory()
    campaign = CampaignFactory(
        binding=True,
        status=CampaignStatus.CLOSED,
        opened_at=timezone.now(),
        closed_at=timezone.now(),
    )
    answer = staff_api("campaign_manager").post(
        f"/api/v1/referendums/{campaign.pk}/sheets/",
        {"station": station.code, **figures()},
        format="json",
    )
    assert answer.status_code == 409 and answer.json()["code"] == "station_electorate_missing"
    assert not ResultSheet.objects.exists()


def test_agreeing_sheets_with_a_different_registered_figure_wait_for_a_written_resolution(
    paper, client
):
    campaign, stations, clerks = paper
    note = "Deux électeurs inscrits par décision du juge le jour du scrutin"
    for clerk in clerks[:2]:
        sheet_enter(
            campaign_id=campaign.pk,
            station_code=stations[0].code,
            actor=clerk,
            figures=figures(registered=1002),
            registered_note=note,
        )
    # Both keyings agree, yet the station does not count: a third person must settle it.
    assert StationResult.objects.get(station=stations[0]).status == StationStatus.DISCREPANCY
    _key_both(campaign, stations[1], clerks, figures())
    station_resolve(
        campaign_id=campaign.pk,
        station_code=stations[0].code,
        actor=clerks[2],
        figures=figures(registered=1002),
        note=note,
    )
    published = campaign_publish_results(campaign_id=campaign.pk, actor=clerks[2])
    station = published.results["stations"][0]
    assert station["registered"] == 1000 and station["registered_on_minutes"] == 1002
    assert station["registered_note"] == note
    assert published.results["stations"][1]["registered_note"] == ""
    # The quorum and the turnout count the frozen electorate, never the typed figure.
    assert published.results["registered"] == 2000
    page = client.get(f"/referendums/{campaign.pk}/results/").content.decode()
    assert "décision du juge" in page and "1002" in page
    api = client.get(f"/api/v1/referendums/{campaign.pk}/results/").json()
    assert "décision du juge" in str(api)


def test_typed_registered_figures_cannot_move_the_lo1112_7_quorum(paper):
    """1,100 voters of 2,000 frozen electors meet the quorum; minutes claiming 3,000 registered
    (with an excuse) would have failed it, and the published verdict does not move."""
    campaign, stations, clerks = paper
    turnout = figures(voters=550, blank=0, null=0, yes=300, no=250)
    _key_both(campaign, stations[0], clerks, turnout)
    for clerk in clerks[:2]:
        sheet_enter(
            campaign_id=campaign.pk,
            station_code=stations[1].code,
            actor=clerk,
            figures={**turnout, "registered": 2000},
            registered_note="Liste d'émargement recopiée",
        )
    station_resolve(
        campaign_id=campaign.pk,
        station_code=stations[1].code,
        actor=clerks[2],
        figures={**turnout, "registered": 2000},
        note="Liste d'émargement recopiée",
    )
    published = campaign_publish_results(campaign_id=campaign.pk, actor=clerks[2])
    assert published.results["registered"] == 2000
    assert published.results["verdict"]["adopted"] is True
