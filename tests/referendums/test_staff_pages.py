"""The campaign managers' pages outside the admin: a binding referendum's calendar and the polling
stations, each change through a service that checks and audits; other roles refused."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from civic.models import AuditEntry
from civic.roles import Role
from referendums.models import Campaign, CampaignStatus, PollingStation
from tests.factories import DistrictFactory, StaffFactory, UserFactory
from tests.referendums.factories import CampaignFactory, PollingStationFactory

pytestmark = pytest.mark.django_db

CALENDAR = {
    "deliberation_date": "2030-01-10",
    "prefect_transmission_date": "2030-01-12",
    "dossier_public_date": "2030-03-01",
    "campaign_opens_at": "2030-03-25T00:00",
    "voting_opens_at": "2030-04-07T08:00",
    "voting_closes_at": "2030-04-07T18:00",
}


@pytest.fixture
def manager(client):
    user = StaffFactory(role=Role.CAMPAIGN_MANAGER)
    client.force_login(user)
    return user


def _edit(campaign):
    return reverse("referendums:staff-calendar-edit", args=[campaign.pk])


def test_a_manager_sets_a_draft_referendums_dates_and_the_change_is_audited(client, manager):
    campaign = CampaignFactory(binding=True)
    assert client.get(_edit(campaign)).status_code == 200
    response = client.post(_edit(campaign), CALENDAR)
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.deliberation_date == date(2030, 1, 10)
    assert timezone.localtime(campaign.voting_opens_at).hour == 8
    entry = AuditEntry.objects.get(verb="referendum.update", target_id=str(campaign.pk))
    assert entry.actor_id == manager.pk


def test_dates_out_of_order_are_refused_with_a_message_and_nothing_changes(client, manager):
    campaign = CampaignFactory(binding=True)
    before = campaign.voting_closes_at
    response = client.post(_edit(campaign), {**CALENDAR, "voting_closes_at": "2030-04-06T18:00"})
    assert response.status_code == 400
    assert "ordre" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.voting_closes_at == before and campaign.deliberation_date is None


def test_a_malformed_date_is_refused_by_the_form(client, manager):
    campaign = CampaignFactory(binding=True)
    response = client.post(_edit(campaign), {**CALENDAR, "voting_opens_at": "le 7 avril"})
    assert response.status_code == 400
    assert "error-summary" in response.content.decode()
    assert not AuditEntry.objects.filter(verb="referendum.update").exists()


def test_once_the_campaign_is_open_the_calendar_is_frozen(client, manager):
    campaign = CampaignFactory(binding=True, status=CampaignStatus.CAMPAIGN)
    page = client.get(_edit(campaign)).content.decode()
    assert "Calendrier figé" in page and '<form method="post" novalidate>' not in page
    response = client.post(_edit(campaign), CALENDAR)
    assert response.status_code == 409
    campaign.refresh_from_db()
    assert campaign.deliberation_date is None
    listing = client.get(reverse("referendums:staff-calendars")).content.decode()
    assert _edit(campaign) not in listing


def test_a_scheduled_referendum_is_held_to_the_legal_calendar(client, manager):
    campaign = CampaignFactory(binding=True, status=CampaignStatus.SCHEDULED)
    # The prefect receives the deliberation less than two months before the vote (LO1112-3).
    response = client.post(_edit(campaign), {**CALENDAR, "prefect_transmission_date": "2030-03-20"})
    assert response.status_code == 400
    assert "LO1112-3" in response.content.decode()
    assert Campaign.objects.get(pk=campaign.pk).prefect_transmission_date is None


def test_an_online_vote_has_no_calendar_page(client, manager):
    assert client.get(_edit(CampaignFactory())).status_code == 404


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.ASSEMBLY_CLERK, Role.AUDITOR, None])
def test_other_roles_cannot_edit_a_calendar_or_a_station(client, role):
    campaign = CampaignFactory(binding=True)
    station = PollingStationFactory()
    client.force_login(StaffFactory(role=role) if role else UserFactory())
    assert client.post(_edit(campaign), CALENDAR).status_code == 403
    edit = reverse("referendums:staff-station-edit", args=[station.pk])
    assert client.post(edit, {"code": "x", "name": "X"}).status_code == 403
    assert client.get(reverse("referendums:staff-station-add")).status_code == 403
    campaign.refresh_from_db()
    assert campaign.deliberation_date is None
    assert PollingStation.objects.get(pk=station.pk).code == station.code


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.AUDITOR, 200), (Role.CAMPAIGN_MANAGER, 200), (Role.MODERATOR, 403), (None, 403)],
)
def test_the_lists_are_for_managers_and_auditors(client, role, status):
    client.force_login(StaffFactory(role=role) if role else UserFactory())
    assert client.get(reverse("referendums:staff-calendars")).status_code == status
    assert client.get(reverse("referendums:staff-stations")).status_code == status


def test_an_auditor_reads_the_stations_without_edit_links(client):
    station = PollingStationFactory(name="Salle des fêtes")
    client.force_login(StaffFactory(role=Role.AUDITOR))
    html = client.get(reverse("referendums:staff-stations")).content.decode()
    assert "Salle des fêtes" in html
    assert reverse("referendums:staff-station-edit", args=[station.pk]) not in html
    assert reverse("referendums:staff-station-add") not in html


def test_a_manager_adds_and_edits_a_station_audited(client, manager):
    district = DistrictFactory()
    add = reverse("referendums:staff-station-add")
    data = {
        "code": "centre-01",
        "name": "École Jules-Ferry",
        "district": district.pk,
        "registered_electors": 812,
    }
    assert client.post(add, data).status_code == 302
    station = PollingStation.objects.get(code="centre-01")
    assert station.district == district and station.registered_electors == 812
    edit = reverse("referendums:staff-station-edit", args=[station.pk])
    assert client.post(edit, {**data, "registered_electors": 900}).status_code == 302
    station.refresh_from_db()
    assert station.registered_electors == 900
    verbs = list(
        AuditEntry.objects.filter(target_id=str(station.pk)).values_list("verb", flat=True)
    )
    assert sorted(verbs) == ["referendum.station_create", "referendum.station_update"]


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"code": "taken"}, 409, "porte déjà ce code"),
        ({"code": "pas un code!"}, 400, "error-summary"),
        ({"district": 999999}, 400, "error-summary"),
        ({"registered_electors": -1}, 400, "error-summary"),
        ({"name": ""}, 400, "error-summary"),
    ],
)
def test_bad_station_input_is_refused_and_nothing_changes(client, manager, change, status, message):
    PollingStationFactory(code="taken")
    data = {
        "code": "new-01",
        "name": "Gymnase",
        "district": DistrictFactory().pk,
        "registered_electors": 10,
    }
    response = client.post(reverse("referendums:staff-station-add"), {**data, **change})
    assert response.status_code == status
    assert message in response.content.decode()
    assert PollingStation.objects.count() == 1


def test_stations_are_frozen_while_a_paper_vote_is_scheduled(client, manager):
    station = PollingStationFactory(registered_electors=100)
    CampaignFactory(binding=True, status=CampaignStatus.SCHEDULED, title_fr="Le parc")
    listing = client.get(reverse("referendums:staff-stations")).content.decode()
    assert "Bureaux figés" in listing and "Le parc" in listing
    edit = reverse("referendums:staff-station-edit", args=[station.pk])
    data = {
        "code": station.code,
        "name": station.name,
        "district": station.district_id,
        "registered_electors": 5000,
    }
    assert client.post(edit, data).status_code == 409
    station.refresh_from_db()
    assert station.registered_electors == 100
    add = reverse("referendums:staff-station-add")
    assert client.post(add, {**data, "code": "other"}).status_code == 409
    assert PollingStation.objects.count() == 1


def test_a_draft_paper_vote_does_not_freeze_the_stations(client, manager):
    station = PollingStationFactory()
    CampaignFactory(binding=True)
    edit = reverse("referendums:staff-station-edit", args=[station.pk])
    data = {
        "code": station.code,
        "name": "Nouveau nom",
        "district": station.district_id,
        "registered_electors": 1,
    }
    assert client.post(edit, data).status_code == 302
    assert PollingStation.objects.get(pk=station.pk).name == "Nouveau nom"


def test_an_unknown_station_is_404(client, manager):
    assert client.get(reverse("referendums:staff-station-edit", args=[987654])).status_code == 404
