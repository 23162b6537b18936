"""The lifecycle: the transition table, each transition and its refusals, the clock's jobs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from civic.errors import InvalidTransition, PermissionDenied
from civic.models import AuditEntry, Notification
from referendums import workflow
from referendums.models import Campaign, CampaignStatus, SealingKey
from referendums.services.campaigns import (
    campaign_transition,
    campaigns_advance,
    voting_close_due,
    voting_open_due,
)
from tests.factories import ResidentFactory, StaffFactory
from tests.referendums.factories import CampaignFactory

pytestmark = pytest.mark.django_db
S = CampaignStatus


def _future_campaign(**fields) -> Campaign:
    now = timezone.now()
    return CampaignFactory(
        campaign_opens_at=now + timedelta(days=1),
        voting_opens_at=now + timedelta(days=10),
        voting_closes_at=now + timedelta(days=11),
        **fields,
    )


@pytest.mark.parametrize("source", [s.value for s in S])
@pytest.mark.parametrize("action", sorted(workflow.ACTIONS))
def test_every_requested_transition_follows_the_table(source, action):
    manager = StaffFactory(role="campaign_manager")
    stamps: dict = {}
    if source in (S.CAMPAIGN, S.VOTING, S.CLOSED, S.RESULTS_PUBLISHED, S.ARCHIVED):
        stamps["opened_at"] = timezone.now()
    if source in (S.CLOSED, S.RESULTS_PUBLISHED, S.ARCHIVED):
        stamps.update(closed_at=timezone.now(), results={"method": "online"})
    if source in (S.RESULTS_PUBLISHED, S.ARCHIVED):
        stamps["published_at"] = timezone.now()
    campaign = _future_campaign(status=source, **stamps)
    target = workflow.ACTIONS[action]
    allowed = workflow.can_transition(source, target)
    if allowed:
        campaign_transition(campaign_id=campaign.pk, actor=manager, action=action)
        assert Campaign.objects.get(pk=campaign.pk).status == target
        assert AuditEntry.objects.filter(verb=f"referendum.{target}").count() == 1
    else:
        with pytest.raises(InvalidTransition):
            campaign_transition(campaign_id=campaign.pk, actor=manager, action=action)
        assert Campaign.objects.get(pk=campaign.pk).status == source


def test_opening_and_closing_are_never_requested_by_a_person():
    assert "open" not in workflow.ACTIONS and "close" not in workflow.ACTIONS
    assert all(workflow.is_timed(s, t) for s, t in workflow.TIMED)


def test_only_campaign_managers_drive_transitions():
    campaign = _future_campaign()
    for role in ("moderator", "assembly_clerk", "auditor"):
        with pytest.raises(PermissionDenied):
            campaign_transition(
                campaign_id=campaign.pk, actor=StaffFactory(role=role), action="schedule"
            )
    with pytest.raises(PermissionDenied):
        campaign_transition(campaign_id=campaign.pk, actor=ResidentFactory(), action="schedule")


def test_scheduling_a_vote_whose_opening_has_passed_is_refused():
    manager = StaffFactory(role="campaign_manager")
    campaign = CampaignFactory()  # voting opened an hour ago
    with pytest.raises(Exception) as exc:
        campaign_transition(campaign_id=campaign.pk, actor=manager, action="schedule")
    assert exc.value.code == "calendar_in_past"


def test_the_clock_opens_the_campaign_then_the_vote_then_closes_it_once_each(freeze):
    manager = StaffFactory(role="campaign_manager")
    voters = [ResidentFactory() for _ in range(2)]
    campaign = _future_campaign(created_by=manager)
    campaign_transition(campaign_id=campaign.pk, actor=manager, action="schedule")

    assert campaigns_advance() == {"campaign": 0, "voting": 0, "closed": 0}
    freeze(campaign.campaign_opens_at)
    assert campaigns_advance() == {"campaign": 1, "voting": 0, "closed": 0}
    assert campaigns_advance() == {"campaign": 0, "voting": 0, "closed": 0}
    campaign.refresh_from_db()
    assert campaign.status == S.CAMPAIGN and campaign.electorate_count == len(voters)

    freeze(campaign.voting_opens_at)
    assert campaigns_advance()["voting"] == 1
    assert not voting_open_due(campaign_id=campaign.pk)  # a second worker does nothing
    assert SealingKey.objects.filter(campaign=campaign).count() == 1

    freeze(campaign.voting_closes_at - timedelta(seconds=1))
    assert campaigns_advance()["closed"] == 0
    freeze(campaign.voting_closes_at)
    assert campaigns_advance()["closed"] == 1
    assert not voting_close_due(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert campaign.status == S.CLOSED and campaign.results["ballots"] == 0
    verbs = list(
        AuditEntry.objects.filter(target_id=str(campaign.pk)).values_list("verb", flat=True)
    )
    assert verbs == [
        "referendum.scheduled",
        "referendum.campaign",
        "referendum.voting",
        "referendum.ballot_box_sealed",  # the box's digest enters the chain at the close
        "referendum.closed",
    ]
    assert Notification.objects.filter(recipient=manager, kind="referendum.closed").count() == 1


def test_the_electorate_is_frozen_at_the_cut_off_and_later_entries_stay_out(freeze):
    manager = StaffFactory(role="campaign_manager")
    ResidentFactory()
    campaign = _future_campaign()
    campaign_transition(campaign_id=campaign.pk, actor=manager, action="schedule")
    freeze(campaign.campaign_opens_at)
    campaigns_advance()
    ResidentFactory()  # registered after the freeze
    freeze(campaign.voting_opens_at)
    campaigns_advance()
    campaign.refresh_from_db()
    assert campaign.electorate_count == 1


def test_a_district_scope_limits_the_electorate(freeze):
    from referendums.models import CampaignDistrict

    manager = StaffFactory(role="campaign_manager")
    inside, outside = ResidentFactory(), ResidentFactory()
    campaign = _future_campaign()
    CampaignDistrict.objects.create(campaign=campaign, district=inside.register_entry.district)
    Campaign.objects.filter(pk=campaign.pk).update(whole_city=False)
    campaign_transition(campaign_id=campaign.pk, actor=manager, action="schedule")
    freeze(campaign.campaign_opens_at)
    campaigns_advance()
    campaign.refresh_from_db()
    assert campaign.electorate_count == 1
    assert list(campaign.electorate_districts) == [inside.register_entry.district.code]
    assert outside.register_entry.district.code not in campaign.electorate_districts


def test_publishing_before_the_close_is_refused(open_vote):
    vote = open_vote(voters=1)
    with pytest.raises(InvalidTransition):
        campaign_transition(
            campaign_id=vote.campaign.pk,
            actor=StaffFactory(role="campaign_manager"),
            action="publish",
        )


def test_the_database_refuses_a_published_campaign_without_results():
    from django.db import IntegrityError, transaction

    campaign = _future_campaign()
    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(status=S.RESULTS_PUBLISHED)


def test_an_age_based_electorate_is_frozen_with_the_cut_off_date(freeze):
    from tests.factories import RegisterEntryFactory

    manager = StaffFactory(role="campaign_manager")
    adult = ResidentFactory(register_entry=RegisterEntryFactory(resident_only=True))
    ResidentFactory(register_entry=RegisterEntryFactory(child=True))
    campaign = _future_campaign(predicate="resident_16")
    campaign_transition(campaign_id=campaign.pk, actor=manager, action="schedule")
    freeze(campaign.campaign_opens_at)
    campaigns_advance()
    campaign.refresh_from_db()
    assert campaign.electorate_count == 1
    assert list(campaign.electorate_districts) == [adult.register_entry.district.code]
