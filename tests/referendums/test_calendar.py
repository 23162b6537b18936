"""The LO1112 calendar of a binding referendum: each rule refuses a forbidden date, naming it."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from civic.errors import RuleViolation
from referendums.legal_calendar import add_months, legal_campaign_opening, renewal_blackout_start
from referendums.models import CampaignStatus, ElectoralCalendarEntry
from referendums.services.campaigns import campaign_schedule
from tests.factories import StaffFactory
from tests.referendums.factories import CampaignFactory

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
VOTE = date(2027, 6, 13)  # a Sunday


def _at(day: date, hour: int = 0) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=PARIS)


@pytest.fixture(autouse=True)
def _today(freeze):
    freeze("2027-01-04 10:00")


def _binding(**overrides):
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
    }
    fields.update(overrides)
    return CampaignFactory(**fields)


def _refusal(campaign) -> RuleViolation:
    with pytest.raises(RuleViolation) as exc:
        campaign_schedule(campaign_id=campaign.pk, actor=StaffFactory(role="campaign_manager"))
    return exc.value


def test_a_lawful_calendar_is_scheduled():
    campaign = campaign_schedule(
        campaign_id=_binding().pk, actor=StaffFactory(role="campaign_manager")
    )
    assert campaign.status == CampaignStatus.SCHEDULED


def test_the_campaign_opens_on_the_second_monday_before_the_vote():
    assert legal_campaign_opening(date(2027, 6, 13)) == date(2027, 5, 31)  # Sunday vote
    assert legal_campaign_opening(date(2027, 6, 15)) == date(2027, 6, 7)  # Tuesday vote
    assert legal_campaign_opening(date(2027, 6, 14)) == date(2027, 5, 31)  # Monday vote


def test_lo1112_3_transmission_to_the_prefect_two_months_before():
    refused = _refusal(_binding(prefect_transmission_date=date(2027, 4, 14)))
    assert refused.rule == "CGCT LO1112-3" and refused.code == "calendar_prefect_too_late"
    assert _binding(prefect_transmission_date=date(2027, 4, 13), subject_key="a").status == "draft"
    campaign_schedule(
        campaign_id=_binding(prefect_transmission_date=date(2027, 4, 13), subject_key="b").pk,
        actor=StaffFactory(role="campaign_manager"),
    )


def test_lo1112_3_a_deliberation_is_required_and_precedes_transmission():
    assert _refusal(_binding(deliberation_date=None)).rule == "CGCT LO1112-3"
    refused = _refusal(_binding(deliberation_date=date(2027, 3, 10)))
    assert refused.code == "calendar_transmission_before_deliberation"


def test_lo1112_6_no_vote_from_the_sixth_month_before_the_council_renewal():
    ElectoralCalendarEntry.objects.create(
        kind="council_renewal", label="Municipales 2027", starts_on=date(2027, 12, 12)
    )
    assert renewal_blackout_start(date(2027, 12, 12)) == date(2027, 6, 1)
    refused = _refusal(_binding())
    assert refused.rule == "CGCT LO1112-6" and refused.code == "calendar_renewal_blackout"


def test_lo1112_6_a_renewal_further_away_does_not_block():
    ElectoralCalendarEntry.objects.create(
        kind="council_renewal", label="Municipales 2028", starts_on=date(2028, 1, 9)
    )
    assert renewal_blackout_start(date(2028, 1, 9)) == date(2027, 7, 1)
    campaign_schedule(campaign_id=_binding().pk, actor=StaffFactory(role="campaign_manager"))


def test_lo1112_6_no_vote_during_an_election_campaign():
    ElectoralCalendarEntry.objects.create(
        kind="election_campaign",
        label="Législatives",
        starts_on=date(2027, 6, 1),
        ends_on=date(2027, 6, 19),
    )
    refused = _refusal(_binding())
    assert refused.rule == "CGCT LO1112-6" and refused.code == "calendar_election_campaign"


def test_lo1112_6_not_twice_on_the_same_subject_within_a_year():
    _binding(
        status=CampaignStatus.SCHEDULED,
        campaign_opens_at=_at(date(2026, 8, 24)),
        voting_opens_at=_at(date(2026, 9, 6), 8),
        voting_closes_at=_at(date(2026, 9, 6), 20),
    )
    refused = _refusal(_binding())
    assert refused.rule == "CGCT LO1112-6" and refused.code == "calendar_same_subject_within_year"
    # another subject is fine
    campaign_schedule(
        campaign_id=_binding(subject_key="piscine").pk, actor=StaffFactory(role="campaign_manager")
    )


def test_lo1112_8_the_dossier_is_public_fifteen_days_before():
    refused = _refusal(_binding(dossier_public_date=date(2027, 5, 30)))
    assert refused.rule == "CGCT LO1112-8"
    assert _refusal(_binding(dossier_public_date=None)).rule == "CGCT LO1112-8"
    campaign_schedule(
        campaign_id=_binding(dossier_public_date=date(2027, 5, 29)).pk,
        actor=StaffFactory(role="campaign_manager"),
    )


def test_lo1112_9_the_campaign_window_is_fixed_by_law():
    refused = _refusal(_binding(campaign_opens_at=_at(date(2027, 6, 1))))
    assert refused.rule == "CGCT LO1112-9" and refused.code == "calendar_campaign_window"
    refused = _refusal(_binding(campaign_opens_at=_at(date(2027, 5, 31), 9)))
    assert refused.rule == "CGCT LO1112-9"


def test_the_api_names_the_article_in_a_refusal(staff_api):
    campaign = _binding(dossier_public_date=date(2027, 6, 1))
    response = staff_api("campaign_manager").post(f"/api/v1/referendums/{campaign.pk}/schedule/")
    assert response.status_code == 400
    assert response.json()["rule"] == "CGCT LO1112-8"
    assert "LO1112-8" in response.json()["detail"]


def test_months_are_calendar_months_clamped_to_the_month_end():
    assert add_months(date(2027, 12, 31), -2) == date(2027, 10, 31)
    assert add_months(date(2027, 4, 30), -2) == date(2027, 2, 28)
    assert add_months(date(2028, 4, 30), -2) == date(2028, 2, 29)
