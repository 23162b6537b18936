"""The voting rules are written once: the Python predicate and the first vote's SQL guard agree.

One table of cases (the campaign's status and voting method, where the vote's opening and closing
instants stand against now, whether the voter is in the frozen electorate) feeds both
`rules.may_vote` and the real first-vote statement (`store.first_vote_write`) on PostgreSQL.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from referendums import rules, store
from referendums.models import (
    Ballot,
    CampaignStatus,
    ElectorateMember,
    Participation,
    TurnoutSlot,
    VotingMethod,
)
from tests.factories import DistrictFactory, RegisterEntryFactory
from tests.referendums.factories import CampaignFactory

pytestmark = pytest.mark.django_db
S = CampaignStatus
HOUR = timedelta(hours=1)

# (name, opens - now, closes - now): before, at and after each instant, in a lawful order.
WINDOWS = [
    ("closed_an_hour_ago", -2 * HOUR, -HOUR),
    ("closes_now", -2 * HOUR, timedelta(0)),
    ("open", -2 * HOUR, 2 * HOUR),
    ("opens_now", timedelta(0), 2 * HOUR),
    ("opens_in_an_hour", HOUR, 2 * HOUR),
]
CASES = [
    (status, VotingMethod.ONLINE.value, window, elector)
    for status in [s.value for s in S]
    for window in WINDOWS
    for elector in (True, False)
] + [
    (S.VOTING.value, VotingMethod.PAPER.value, window, elector)
    for window in WINDOWS
    for elector in (True, False)
]


def _stamps(status: str, now: datetime) -> dict[str, Any]:
    """What the table's constraints require of a campaign at `status`."""
    stamps: dict[str, Any] = {}
    if status not in (S.DRAFT, S.SCHEDULED):
        stamps["opened_at"] = now - 3 * HOUR
    if status in (S.CLOSED, S.RESULTS_PUBLISHED, S.ARCHIVED):
        stamps["closed_at"] = now - HOUR
    if status in (S.RESULTS_PUBLISHED, S.ARCHIVED):
        stamps.update(published_at=now - HOUR, results={"method": "online"})
    return stamps


@pytest.mark.parametrize(
    ("status", "method", "window", "elector"),
    CASES,
    ids=[
        f"{status}-{method}-{window[0]}-{'elector' if elector else 'outsider'}"
        for status, method, window, elector in CASES
    ],
)
def test_the_python_rule_and_the_first_vote_statement_agree(status, method, window, elector):
    now = timezone.now()
    _name, opens, closes = window
    district = DistrictFactory()
    campaign = CampaignFactory(
        status=status,
        voting_method=method,
        campaign_opens_at=now + opens - timedelta(days=1),
        voting_opens_at=now + opens,
        voting_closes_at=now + closes,
        electorate_districts={district.code: 1},
        **_stamps(status, now),
    )
    entry = RegisterEntryFactory(district=district)
    if elector:
        ElectorateMember.objects.create(campaign=campaign, register_entry=entry, district=district)
    TurnoutSlot.objects.create(campaign=campaign, district_code=district.code, slot=0)

    allowed = rules.may_vote(campaign, now, in_electorate=elector)
    written = store.first_vote_write(
        campaign_id=campaign.pk,
        entry_id=entry.pk,
        now=now,
        sealed_ref="sealed",
        slot=0,
        ballot_id=uuid.uuid4(),
        choices="{}",
        digest="0" * 64,
        checkable_until=now + timedelta(minutes=30),
        checks=3,
        small_cell=10,
    )

    assert written.created == allowed
    assert written.open == (method == VotingMethod.ONLINE and rules.voting_open(campaign, now))
    assert Participation.objects.filter(campaign=campaign).count() == int(allowed)
    assert Ballot.objects.filter(campaign=campaign).count() == int(allowed)


def test_the_table_has_cases_on_both_sides_of_the_rule():
    now = timezone.now()

    def allowed(status: str, method: str, window: Any, elector: bool) -> bool:
        _name, opens, closes = window
        campaign = CampaignFactory.build(
            status=status,
            voting_method=method,
            voting_opens_at=now + opens,
            voting_closes_at=now + closes,
        )
        return rules.may_vote(campaign, now, in_electorate=elector)

    verdicts = [allowed(*case) for case in CASES]
    assert verdicts.count(True) == 2  # voting, online, open or opening now, an elector
    assert verdicts.count(False) == len(CASES) - 2


def test_voting_is_open_from_the_opening_instant_until_just_before_the_close():
    now = timezone.now()
    campaign = CampaignFactory.build(
        status=S.VOTING, voting_opens_at=now, voting_closes_at=now + HOUR
    )
    assert rules.voting_open(campaign, now)
    assert rules.voting_open(campaign, now + HOUR - timedelta(microseconds=1))


def test_voting_is_not_open_at_the_closing_instant_even_if_the_clock_job_is_late():
    now = timezone.now()
    campaign = CampaignFactory.build(
        status=S.VOTING, voting_opens_at=now - HOUR, voting_closes_at=now
    )
    assert not rules.voting_open(campaign, now)


def test_voting_is_not_open_in_the_window_unless_the_clock_opened_it():
    now = timezone.now()
    campaign = CampaignFactory.build(
        status=S.CAMPAIGN, voting_opens_at=now - HOUR, voting_closes_at=now + HOUR
    )
    assert not rules.voting_open(campaign, now)


def test_a_refusal_names_its_first_reason():
    now = timezone.now()
    window = {"voting_opens_at": now - HOUR, "voting_closes_at": now + HOUR}
    paper = CampaignFactory.build(status=S.VOTING, voting_method=VotingMethod.PAPER, **window)
    closed = CampaignFactory.build(status=S.CLOSED, **window)
    open_ = CampaignFactory.build(status=S.VOTING, **window)
    assert rules.vote_refusal(paper, now, in_electorate=False) == rules.NOT_ONLINE
    assert rules.vote_refusal(closed, now, in_electorate=False) == rules.VOTING_NOT_OPEN
    assert rules.vote_refusal(open_, now, in_electorate=False) == rules.NOT_IN_ELECTORATE
    assert rules.vote_refusal(open_, now, in_electorate=True) is None
