"""A vote's wording, options, scope and electorate are frozen by the database from scheduling on,
whatever path writes: raw SQL as the application's role, the admin, the services and the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.utils import timezone

from civic.models import AuditEntry
from referendums.models import (
    Campaign,
    CampaignDistrict,
    CampaignStatus,
    ElectorateMember,
    Option,
    Question,
    StationElectorate,
)
from referendums.services.campaigns import campaign_update, campaigns_advance
from referendums.services.campaigns.clock import apportion
from tests.factories import DistrictFactory, RegisterEntryFactory, ResidentFactory, StaffFactory
from tests.referendums.factories import CampaignFactory, PollingStationFactory

pytestmark = pytest.mark.django_db
S = CampaignStatus
FROZEN = "referendum_vote_frozen"
# Every status from scheduling on, with the stamps the table's constraints ask of it.
PAST_DRAFT: list[tuple[str, dict[str, Any]]] = [
    (S.SCHEDULED, {}),
    (S.CAMPAIGN, {"opened_at": "now"}),
    (S.VOTING, {"opened_at": "now"}),
    (S.CLOSED, {"opened_at": "now", "closed_at": "now"}),
    (S.CANCELLED, {}),
]


def _campaign(status: str = S.DRAFT, **stamps: Any) -> Campaign:
    now = timezone.now()
    return CampaignFactory(status=status, **dict.fromkeys(stamps, now))


def _sql(query: str, params: list[Any]) -> None:
    """One statement as the application's database role would send it."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(query, params)


def _refused(query: str, params: list[Any]) -> None:
    with pytest.raises(IntegrityError) as exc:
        _sql(query, params)
    assert exc.value.__cause__.diag.constraint_name == FROZEN  # type: ignore[union-attr]


@pytest.mark.parametrize(("status", "stamps"), PAST_DRAFT, ids=[s for s, _ in PAST_DRAFT])
def test_raw_sql_cannot_change_an_option_label_of_a_scheduled_vote(status, stamps):
    campaign = _campaign(status, **stamps)
    option = Option.objects.get(question__campaign=campaign, key="o1")
    _refused("UPDATE referendums_option SET label_fr = %s WHERE id = %s", ["Non !", option.pk])
    _refused("UPDATE referendums_option SET key = %s WHERE id = %s", ["no2", option.pk])
    option.refresh_from_db()
    assert (option.key, option.label_fr) == ("o1", "Oui")


@pytest.mark.parametrize(("status", "stamps"), PAST_DRAFT, ids=[s for s, _ in PAST_DRAFT])
def test_raw_sql_cannot_add_remove_or_reword_questions_and_options(status, stamps):
    campaign = _campaign(status, **stamps)
    question = campaign.questions.get()
    _refused("UPDATE referendums_question SET text_fr = %s WHERE id = %s", ["Autre ?", question.pk])
    _refused(
        "INSERT INTO referendums_option (question_id, key, meaning, position, label_fr, label_en) "
        "VALUES (%s, 'o3', '', 3, 'Peut-être', '')",
        [question.pk],
    )
    _refused("DELETE FROM referendums_option WHERE question_id = %s AND key = 'o2'", [question.pk])
    _refused(
        "INSERT INTO referendums_question (campaign_id, position, text_fr, text_en) "
        "VALUES (%s, 2, 'Seconde ?', '')",
        [campaign.pk],
    )
    # Moving a draft's question into the scheduled vote is adding one to it.
    draft_question = _campaign().questions.get()
    _refused(
        "UPDATE referendums_question SET campaign_id = %s, position = 9 WHERE id = %s",
        [campaign.pk, draft_question.pk],
    )
    assert Question.objects.filter(campaign=campaign).count() == 1
    assert Option.objects.filter(question=question).count() == 2


def test_raw_sql_cannot_change_the_scope_or_put_the_vote_back_to_draft():
    campaign = _campaign(S.SCHEDULED)
    district = DistrictFactory()
    _refused(
        "INSERT INTO referendums_campaigndistrict (campaign_id, district_id) VALUES (%s, %s)",
        [campaign.pk, district.pk],
    )
    _refused("UPDATE referendums_campaign SET whole_city = false WHERE id = %s", [campaign.pk])
    _refused("UPDATE referendums_campaign SET predicate = 'resident' WHERE id = %s", [campaign.pk])
    _refused("UPDATE referendums_campaign SET status = 'draft' WHERE id = %s", [campaign.pk])
    # What stays editable while scheduled (the calendar, the material) still is.
    _sql("UPDATE referendums_campaign SET title_en = 'Renamed' WHERE id = %s", [campaign.pk])


def test_a_draft_is_freely_edited_even_in_sql():
    campaign = _campaign()
    question = campaign.questions.get()
    _sql("UPDATE referendums_option SET label_fr = 'Oui !' WHERE question_id = %s", [question.pk])
    _sql("DELETE FROM referendums_option WHERE question_id = %s AND key = 'o2'", [question.pk])
    _sql("DELETE FROM referendums_option WHERE question_id = %s", [question.pk])
    _sql("DELETE FROM referendums_question WHERE id = %s", [question.pk])
    assert not Question.objects.filter(campaign=campaign).exists()


def _frozen_vote(freeze: Any) -> tuple[Campaign, Any]:
    """An online vote opened by the clock: its electorate is frozen (one resident)."""
    voter = ResidentFactory()
    campaign = CampaignFactory(status=S.SCHEDULED)
    campaigns_advance()
    campaign.refresh_from_db()
    assert campaign.electorate_frozen_at is not None and campaign.electorate_count == 1
    return campaign, voter


def test_raw_sql_cannot_add_change_or_remove_an_elector_once_frozen(freeze):
    campaign, _voter = _frozen_vote(freeze)
    member = ElectorateMember.objects.get(campaign=campaign)
    outsider = RegisterEntryFactory()
    _refused(
        "INSERT INTO referendums_electoratemember (campaign_id, register_entry_id, district_id) "
        "VALUES (%s, %s, %s)",
        [campaign.pk, outsider.pk, outsider.district_id],
    )
    _refused(
        "UPDATE referendums_electoratemember SET register_entry_id = %s WHERE id = %s",
        [outsider.pk, member.pk],
    )
    _refused("DELETE FROM referendums_electoratemember WHERE id = %s", [member.pk])
    _refused("UPDATE referendums_campaign SET electorate_count = 1000 WHERE id = %s", [campaign.pk])
    _refused(
        "UPDATE referendums_campaign SET electorate_districts = '{}' WHERE id = %s", [campaign.pk]
    )
    _refused(
        "UPDATE referendums_campaign SET cutoff_date = cutoff_date + 1 WHERE id = %s",
        [campaign.pk],
    )
    assert list(ElectorateMember.objects.filter(campaign=campaign)) == [member]


def test_the_personal_data_purge_may_still_remove_the_electors(freeze):
    campaign, _voter = _frozen_vote(freeze)
    _refused("DELETE FROM referendums_electoratemember WHERE campaign_id = %s", [campaign.pk])
    Campaign.objects.filter(pk=campaign.pk).update(personal_data_purged_at=timezone.now())
    _sql("DELETE FROM referendums_electoratemember WHERE campaign_id = %s", [campaign.pk])
    assert not ElectorateMember.objects.filter(campaign=campaign).exists()


def test_a_paper_vote_freezes_each_station_share_of_its_district():
    district, other = DistrictFactory(), DistrictFactory()
    for _ in range(5):
        RegisterEntryFactory(district=district)
    for _ in range(2):
        RegisterEntryFactory(district=other)
    big = PollingStationFactory(district=district, registered_electors=300)
    small = PollingStationFactory(district=district, registered_electors=100)
    alone = PollingStationFactory(district=other, registered_electors=9999)
    campaign = CampaignFactory(
        kind="advisory_consultation", voting_method="paper", status=S.SCHEDULED
    )
    campaigns_advance()
    campaign.refresh_from_db()
    frozen = dict(
        StationElectorate.objects.filter(campaign=campaign).values_list("station_id", "electors")
    )
    # 5 electors shared 3:1 (largest remainder), the lone station of a district gets all of it.
    assert frozen == {big.pk: 4, small.pk: 1, alone.pk: 2}
    assert sum(frozen.values()) == campaign.electorate_count == 7
    _refused(
        "UPDATE referendums_stationelectorate SET electors = 1000 WHERE station_id = %s", [big.pk]
    )
    _refused(
        "INSERT INTO referendums_stationelectorate (campaign_id, station_id, electors) "
        "VALUES (%s, %s, 1)",
        [campaign.pk, PollingStationFactory(district=other).pk],
    )


@pytest.mark.parametrize(
    ("total", "weights", "shares"),
    [(5, [300, 100], [4, 1]), (7, [1, 1, 1], [3, 2, 2]), (3, [0, 0], [2, 1]), (0, [5], [0])],
)
def test_apportion_adds_up_exactly(total, weights, shares):
    assert apportion(total, weights) == shares
    assert sum(shares) == total


# --- The services and the API map the database's refusal ----------------------------------------


def test_the_service_maps_the_database_refusal_to_a_409(monkeypatch, staff_api):
    """Even past the service's own check (as a path that forgot it), the database refuses and the
    API answers 409 vote_frozen, never a 500."""
    from referendums.services.campaigns import editing

    campaign = _campaign(S.SCHEDULED)
    monkeypatch.setattr(editing, "_check_editable", lambda campaign, scope_changes: None)
    answer = staff_api("campaign_manager").patch(
        f"/api/v1/referendums/{campaign.pk}/",
        {"questions": [{"text_fr": "Une autre question ?"}]},
        format="json",
    )
    assert answer.status_code == 409 and answer.json()["code"] == "vote_frozen"
    assert campaign.questions.get().text_fr == "Question 1 ?"


def test_the_api_refuses_new_wording_once_scheduled(staff_api):
    campaign = _campaign(S.SCHEDULED)
    answer = staff_api("campaign_manager").patch(
        f"/api/v1/referendums/{campaign.pk}/",
        {"questions": [{"text_fr": "Une autre question ?"}]},
        format="json",
    )
    assert answer.status_code == 409
    assert campaign.questions.get().text_fr == "Question 1 ?"


def test_a_draft_rewording_through_the_service_is_audited():
    manager = StaffFactory(role="campaign_manager")
    campaign = _campaign()
    campaign_update(
        campaign_id=campaign.pk,
        actor=manager,
        questions=[
            {
                "text_fr": "Nouvelle ?",
                "options": [{"key": "a", "label_fr": "A"}, {"key": "b", "label_fr": "B"}],
            }
        ],
    )
    entry = AuditEntry.objects.filter(verb="referendum.update").latest("id")
    assert "Question 1 ?" in str(entry.before) and "Nouvelle ?" in str(entry.after)


# --- The admin -----------------------------------------------------------------------------------


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(StaffFactory(role="campaign_manager"))
    return client


def _question_form(question: Question, label_fr: str) -> dict[str, Any]:
    options = list(question.options.order_by("position"))
    data: dict[str, Any] = {
        "campaign": question.campaign_id,
        "position": question.position,
        "text_fr": question.text_fr,
        "text_en": question.text_en,
        "options-TOTAL_FORMS": len(options),
        "options-INITIAL_FORMS": len(options),
        "options-MIN_NUM_FORMS": 0,
        "options-MAX_NUM_FORMS": 1000,
    }
    for i, option in enumerate(options):
        data.update(
            {
                f"options-{i}-id": option.pk,
                f"options-{i}-question": question.pk,
                f"options-{i}-key": option.key,
                f"options-{i}-position": option.position,
                f"options-{i}-label_fr": label_fr if i == 0 else option.label_fr,
                f"options-{i}-label_en": option.label_en,
            }
        )
    return data


@pytest.mark.parametrize(("status", "stamps"), PAST_DRAFT, ids=[s for s, _ in PAST_DRAFT])
def test_an_admin_post_changing_a_label_of_a_scheduled_vote_is_refused(
    admin_client, status, stamps
):
    question = _campaign(status, **stamps).questions.get()
    url = f"/admin/referendums/question/{question.pk}/change/"
    answer = admin_client.post(url, _question_form(question, "Oui, évidemment"))
    assert answer.status_code == 403
    assert question.options.get(key="o1").label_fr == "Oui"


def test_the_campaign_admin_shows_a_scheduled_vote_questions_read_only(admin_client):
    campaign = _campaign(S.SCHEDULED)
    page = admin_client.get(f"/admin/referendums/campaign/{campaign.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="questions-0-text_fr"' not in html and "Question 1 ?" in html
    assert 'name="questions-0-DELETE"' not in html
    assert 'name="predicate"' not in html


def test_the_admin_offers_no_delete_for_a_scheduled_vote_question(admin_client):
    question = _campaign(S.SCHEDULED).questions.get()
    answer = admin_client.post(
        f"/admin/referendums/question/{question.pk}/delete/", {"post": "yes"}
    )
    assert answer.status_code == 403
    answer = admin_client.post(
        "/admin/referendums/question/",
        {"action": "delete_selected", "_selected_action": [question.pk], "post": "yes"},
    )
    assert answer.status_code in (200, 302, 403)
    assert Question.objects.filter(pk=question.pk).exists()
    assert Option.objects.filter(question=question).count() == 2


def test_the_admin_offers_no_delete_for_a_scheduled_campaign(admin_client):
    campaign = _campaign(S.SCHEDULED)
    answer = admin_client.post(
        f"/admin/referendums/campaign/{campaign.pk}/delete/", {"post": "yes"}
    )
    assert answer.status_code == 403
    assert Campaign.objects.filter(pk=campaign.pk).exists()


def test_an_admin_edit_of_a_draft_question_is_audited(admin_client):
    question = _campaign().questions.get()
    url = f"/admin/referendums/question/{question.pk}/change/"
    answer = admin_client.post(url, _question_form(question, "Oui, évidemment"))
    assert answer.status_code == 302
    assert question.options.get(key="o1").label_fr == "Oui, évidemment"
    entry = AuditEntry.objects.filter(verb="referendum.options_edit").latest("id")
    assert "Oui, évidemment" in str(entry.after)


def test_the_admin_cannot_move_a_question_into_a_scheduled_campaign(admin_client):
    scheduled = _campaign(S.SCHEDULED)
    question = _campaign().questions.get()
    data = _question_form(question, "Oui")
    data["campaign"] = scheduled.pk
    answer = admin_client.post(f"/admin/referendums/question/{question.pk}/change/", data)
    assert answer.status_code == 200  # the form refuses the choice
    question.refresh_from_db()
    assert question.campaign_id != scheduled.pk


def test_the_scope_rows_of_a_scheduled_vote_cannot_be_removed():
    district = DistrictFactory()
    campaign = _campaign()
    CampaignDistrict.objects.create(campaign=campaign, district=district)
    Campaign.objects.filter(pk=campaign.pk).update(whole_city=False, status=S.SCHEDULED)
    _refused("DELETE FROM referendums_campaigndistrict WHERE campaign_id = %s", [campaign.pk])
