"""The admin's change form of a binding referendum passes the same LO1112 calendar as the service."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from referendums.models import (
    Campaign,
    CampaignStatus,
    ElectoralCalendarEntry,
    ElectoralEventKind,
)
from referendums.services.campaigns import campaign_schedule
from tests.admin_forms import form_data
from tests.factories import StaffFactory
from tests.referendums.factories import CampaignFactory

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
VOTE = date(2027, 6, 13)  # a Sunday


def _at(day: date, hour: int = 0) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=PARIS)


@pytest.fixture(autouse=True)
def _today(freeze: Any) -> None:
    freeze("2027-01-04 10:00")


@pytest.fixture
def manager() -> Any:
    return StaffFactory(role="campaign_manager")


@pytest.fixture
def staff(manager: Any) -> Client:
    client = Client()
    client.force_login(manager)
    return client


def _binding(manager: Any, *, schedule: bool = True, **overrides: Any) -> Campaign:
    fields = {
        "binding": True,
        "subject_key": "tramway",
        "cutoff_date": date(2027, 5, 1),
        "deliberation_date": date(2027, 3, 1),
        "prefect_transmission_date": date(2027, 3, 5),
        "dossier_public_date": date(2027, 5, 20),
        "campaign_opens_at": _at(date(2027, 5, 31)),
        "voting_opens_at": _at(VOTE, 8),
        "voting_closes_at": _at(VOTE, 20),
        **overrides,
    }
    campaign = CampaignFactory(**fields)
    if schedule:
        campaign = campaign_schedule(campaign_id=campaign.pk, actor=manager)
    return campaign


def _change_url(campaign: Campaign) -> str:
    return reverse("admin:referendums_campaign_change", args=[campaign.pk])


def _post_change(staff: Client, campaign: Campaign, **changes: str) -> Any:
    page = staff.get(_change_url(campaign))
    assert page.status_code == 200
    data = form_data(page)
    data.update(changes)
    return staff.post(_change_url(campaign), data)


def test_an_admin_edit_moving_the_transmission_too_late_is_refused_naming_the_article(
    staff: Client, manager: Any
) -> None:
    campaign = _binding(manager)
    response = _post_change(staff, campaign, prefect_transmission_date="2027-04-20")
    assert response.status_code == 200  # the form again, not a redirect
    html = response.content.decode()
    assert "CGCT LO1112-3" in html and "errornote" in html
    campaign.refresh_from_db()
    assert campaign.prefect_transmission_date == date(2027, 3, 5)


def test_an_admin_edit_moving_the_vote_into_an_election_campaign_is_refused(
    staff: Client, manager: Any
) -> None:
    ElectoralCalendarEntry.objects.create(
        label="Législatives",
        kind=ElectoralEventKind.ELECTION_CAMPAIGN,
        starts_on=date(2027, 6, 14),
        ends_on=date(2027, 6, 27),
    )
    campaign = _binding(manager)
    response = _post_change(
        staff,
        campaign,
        campaign_opens_at_0="2027-06-07",
        voting_opens_at_0="2027-06-20",
        voting_closes_at_0="2027-06-20",
    )
    assert response.status_code == 200
    assert "CGCT LO1112-6" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.voting_opens_at == _at(VOTE, 8)


def test_an_admin_edit_removing_the_deliberation_is_refused(staff: Client, manager: Any) -> None:
    campaign = _binding(manager)
    response = _post_change(staff, campaign, deliberation_date="")
    assert response.status_code == 200
    assert "CGCT LO1112-3" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.deliberation_date == date(2027, 3, 1)


def test_a_lawful_admin_edit_of_a_scheduled_referendum_is_saved(
    staff: Client, manager: Any
) -> None:
    campaign = _binding(manager)
    response = _post_change(
        staff, campaign, prefect_transmission_date="2027-04-13", title_fr="Tramway (révisé)"
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.prefect_transmission_date == date(2027, 4, 13)
    assert campaign.title_fr == "Tramway (révisé)"
    assert campaign.status == CampaignStatus.SCHEDULED


def test_a_draft_is_checked_when_scheduled_not_when_edited(staff: Client, manager: Any) -> None:
    campaign = _binding(manager, schedule=False)
    response = _post_change(staff, campaign, prefect_transmission_date="2027-04-20")
    assert response.status_code == 302  # as through the service: a draft may be unfinished
    campaign.refresh_from_db()
    assert campaign.prefect_transmission_date == date(2027, 4, 20)


def test_the_admin_refusal_is_in_english_for_an_english_speaking_manager(
    staff: Client, manager: Any
) -> None:
    campaign = _binding(manager)
    staff.cookies["django_language"] = "en"
    response = _post_change(staff, campaign, prefect_transmission_date="2027-04-20")
    html = response.content.decode()
    assert "CGCT LO1112-3: " in html
    assert "at least two months before" in html


def test_recording_an_election_over_a_scheduled_referendum_warns_which_one_it_forbids(
    staff: Client, manager: Any
) -> None:
    campaign = _binding(manager)
    lawful = _binding(
        manager,
        subject_key="piscine",
        campaign_opens_at=_at(date(2027, 9, 6)),
        voting_opens_at=_at(date(2027, 9, 19), 8),
        voting_closes_at=_at(date(2027, 9, 19), 20),
        dossier_public_date=date(2027, 9, 1),
        prefect_transmission_date=date(2027, 5, 5),
    )
    response = staff.post(
        reverse("admin:referendums_electoralcalendarentry_add"),
        {
            "label": "Législatives",
            "kind": ElectoralEventKind.ELECTION_CAMPAIGN,
            "starts_on": "2027-06-07",
            "ends_on": "2027-06-20",
        },
        follow=True,
    )
    assert ElectoralCalendarEntry.objects.filter(label="Législatives").exists()
    warnings = [m.message for m in response.context["messages"] if m.level_tag == "warning"]
    assert len(warnings) == 1
    assert str(campaign) in warnings[0] and "CGCT LO1112-6" in warnings[0]
    assert str(lawful) not in warnings[0]


# --- One list of campaign fields; read-only result screens ------------------------------------


def test_the_api_the_services_and_the_admin_read_one_list_of_campaign_fields() -> None:
    from referendums.api.campaigns import CampaignFieldsIn, ReferendumListCreateApi
    from referendums.models.campaigns import CREATION_FIELDS, EDITABLE_FIELDS

    assert list(CampaignFieldsIn().fields) == [*EDITABLE_FIELDS, "districts", "questions"]
    assert list(ReferendumListCreateApi.InputSerializer().fields) == [
        *EDITABLE_FIELDS,
        "districts",
        "questions",
        *CREATION_FIELDS,
    ]


def test_an_unknown_field_is_refused_by_the_service(manager: Any) -> None:
    from civic.errors import RuleViolation
    from referendums.services.campaigns import campaign_update

    campaign = CampaignFactory()
    with pytest.raises(RuleViolation):
        campaign_update(campaign_id=campaign.pk, actor=manager, results={"forged": True})
    with pytest.raises(RuleViolation):
        campaign_update(campaign_id=campaign.pk, actor=manager, status="voting")


def test_the_station_results_screen_shows_and_never_edits(staff: Client, manager: Any) -> None:
    from django.contrib.admin.sites import site
    from django.test import RequestFactory

    from referendums.models import StationResult

    request = RequestFactory().get("/")
    request.user = manager
    model_admin = site._registry[StationResult]
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert staff.get(reverse("admin:referendums_stationresult_changelist")).status_code == 200
    assert staff.get(reverse("admin:referendums_stationresult_add")).status_code == 403


def test_a_result_sheet_is_keyed_through_the_admin_but_never_changed_or_deleted(
    manager: Any,
) -> None:
    from django.contrib.admin.sites import site
    from django.test import RequestFactory

    from referendums.models import ResultSheet

    request = RequestFactory().get("/")
    request.user = manager
    model_admin = site._registry[ResultSheet]
    assert model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_the_read_only_mixin_denies_add_change_and_delete_to_a_superuser() -> None:
    from django.contrib import admin
    from django.test import RequestFactory

    from civic.admin_readonly import ReadOnlyAdminMixin
    from tests.factories import UserFactory

    class Screen(ReadOnlyAdminMixin, admin.ModelAdmin):
        pass

    request = RequestFactory().get("/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    screen = Screen(Campaign, admin.site)
    assert screen.has_view_permission(request)
    assert not screen.has_add_permission(request)
    assert not screen.has_change_permission(request)
    assert not screen.has_delete_permission(request)
