"""Real threads on PostgreSQL: one voter hammering the cast, many voters at once, the close racing."""

import json
import threading
from datetime import timedelta

import pytest
from django.db import connection

from civic.errors import NotEligible
from referendums.models import Ballot, CampaignStatus, Participation, ReceiptHash, TurnoutSlot
from referendums.sealing import receipt_digest
from referendums.services.campaigns import campaigns_advance, voting_close_due
from referendums.services.voting import ballot_cast
from tests.threads import concurrently

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_200_concurrent_casts_by_one_voter_leave_one_participation_and_one_ballot(open_vote):
    vote = open_vote(voters=1)
    campaign_id, voter = vote.campaign.pk, vote.voters[0]
    choices = ["yes" if i % 3 else "no" for i in range(200)]

    outcomes = concurrently(
        200,
        lambda i: (
            choices[i],
            ballot_cast(campaign_id=campaign_id, user=voter, choices=vote.choices(choices[i])),
        ),
    )
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert errors == []
    assert Participation.objects.filter(campaign_id=campaign_id).count() == 1
    ballots = list(Ballot.objects.filter(campaign_id=campaign_id))
    receipts = list(ReceiptHash.objects.filter(campaign_id=campaign_id))
    # Every receipt given stays (the box lists them all); exactly one is live: the last cast to
    # commit, and the counted choice is that cast's.
    assert len(ballots) == 1 and len(receipts) == 200
    live = [r.digest for r in receipts if not r.superseded]
    assert len(live) == 1
    survivor = [c for c, r in outcomes if receipt_digest(campaign_id, r.receipt) == live[0]]
    assert len(survivor) == 1
    assert json.loads(ballots[0].choices) == vote.choices(survivor[0])
    assert sum(1 for _, r in outcomes if not r.revote) == 1


def test_many_voters_at_once_give_as_many_ballots_as_participations(open_vote, close_vote):
    vote = open_vote(voters=40, districts=2)
    campaign_id = vote.campaign.pk

    outcomes = concurrently(
        40,
        lambda i: ballot_cast(
            campaign_id=campaign_id,
            user=vote.voters[i],
            choices=vote.choices("yes" if i < 25 else "no"),
        ),
    )
    assert not [o for o in outcomes if isinstance(o, Exception)]
    campaign = close_vote(vote.campaign)
    assert campaign.results["ballots"] == campaign.results["participations"] == 40
    counts = {o["key"]: o["count"] for o in campaign.results["questions"][0]["options"]}
    assert counts == {"o1": 25, "o2": 15}


def test_the_close_raced_by_ten_workers_happens_once(open_vote, freeze):
    vote = open_vote(voters=3)
    for i in range(3):
        ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[i], choices=vote.choices("yes"))
    freeze(vote.campaign.voting_closes_at + timedelta(seconds=1))
    outcomes = concurrently(10, lambda i: voting_close_due(campaign_id=vote.campaign.pk))
    assert sorted(outcomes) == [False] * 9 + [True]
    vote.campaign.refresh_from_db()
    assert vote.campaign.status == CampaignStatus.CLOSED
    from civic.models import AuditEntry

    assert (
        AuditEntry.objects.filter(verb="referendum.closed", target_id=str(vote.campaign.pk)).count()
        == 1
    )
    assert campaigns_advance() == {"campaign": 0, "voting": 0, "closed": 0}


def test_a_campaign_id_beyond_32_bits_still_takes_its_lock(db):
    from django.db import transaction

    from referendums.store import campaign_lock

    with transaction.atomic():
        campaign_lock(32_121_857_223, shared=False)
        campaign_lock(10**18 - 1, shared=True)


def test_a_first_vote_is_prepared_once_per_connection(open_vote):
    # civic/db.py: PostgreSQL parses and plans the first-vote statement once per connection.
    vote = open_vote(voters=3)
    for voter in vote.voters:
        ballot_cast(campaign_id=vote.campaign.pk, user=voter, choices=vote.choices("yes"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s", ["%FOR SHARE%"]
        )
        prepared = cursor.fetchall()
    assert len(prepared) == 1
    assert Ballot.objects.filter(campaign_id=vote.campaign.pk).count() == 3


def test_a_first_vote_is_one_round_trip_once_the_campaign_is_known(open_vote):
    from django.test.utils import CaptureQueriesContext

    vote = open_vote(voters=3)
    campaign_id = vote.campaign.pk
    ballot_cast(campaign_id=campaign_id, user=vote.voters[0], choices=vote.choices("yes"))
    no = vote.choices("no")
    with CaptureQueriesContext(connection) as ctx:
        first = ballot_cast(campaign_id=campaign_id, user=vote.voters[1], choices=no)
    assert not first.revote
    # Two statements, pipelined in one round trip: the voter's, then the ballot's.
    assert len(ctx.captured_queries) == 2
    assert "FOR SHARE" in ctx.captured_queries[0]["sql"]
    assert "INSERT INTO referendums_ballot" in ctx.captured_queries[1]["sql"]
    # A re-vote, and a voter outside the electorate, take the transactional path.
    again = ballot_cast(campaign_id=campaign_id, user=vote.voters[1], choices=vote.choices("yes"))
    assert again.revote
    outsider = open_vote(voters=1).voters[0]
    with pytest.raises(NotEligible):
        ballot_cast(campaign_id=campaign_id, user=outsider, choices=vote.choices("yes"))
    assert Participation.objects.filter(campaign_id=campaign_id).count() == 2
    assert Ballot.objects.filter(campaign_id=campaign_id).count() == 2
    # Three receipts given (the re-vote's old one kept, superseded), two live.
    assert ReceiptHash.objects.filter(campaign_id=campaign_id).count() == 3
    assert ReceiptHash.objects.filter(campaign_id=campaign_id, superseded=False).count() == 2
    assert (
        sum(
            TurnoutSlot.objects.filter(campaign_id=campaign_id).values_list(
                "participations", flat=True
            )
        )
        == 2
    )


def _first_vote_or_refusal(vote):  # type: ignore[no-untyped-def]
    """`cast(i)`: voter 1 + i votes "yes"; returns the result, or the refusal raised."""
    yes = vote.choices("yes")

    def cast(i: int):  # type: ignore[no-untyped-def]
        try:
            return ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[1 + i], choices=yes)
        except Exception as exc:
            return exc

    return cast


@pytest.mark.parametrize("round_", range(3))
def test_first_votes_racing_the_close_are_all_counted_or_refused(open_vote, round_):
    """Casts in flight while the close runs: each either lands before the count and is counted,
    or is refused; none lands after it. The close is made due a moment after the casts start."""
    from django.utils import timezone

    from referendums.models import Campaign

    vote = open_vote(voters=60, districts=2)
    campaign_id = vote.campaign.pk
    ballot_cast(campaign_id=campaign_id, user=vote.voters[0], choices=vote.choices("no"))  # memo
    closes = timezone.now() + timedelta(milliseconds=150)
    Campaign.objects.filter(pk=campaign_id).update(voting_closes_at=closes)

    cast = _first_vote_or_refusal(vote)

    def close(_i: int) -> bool:
        while timezone.now() < closes:
            pass
        return voting_close_due(campaign_id=campaign_id)

    outcomes = concurrently(60, lambda i: close(i) if i == 0 else cast(i - 1))
    assert outcomes[0] is True
    refused = [o for o in outcomes[1:] if isinstance(o, Exception)]
    assert all(getattr(o, "code", None) == "voting_not_open" for o in refused), refused
    counted = 1 + sum(1 for o in outcomes[1:] if not isinstance(o, Exception))
    campaign = Campaign.objects.get(pk=campaign_id)
    assert campaign.status == CampaignStatus.CLOSED
    assert campaign.results["ballots"] == campaign.results["participations"] == counted
    assert Ballot.objects.filter(campaign_id=campaign_id).count() == counted
    assert Participation.objects.filter(campaign_id=campaign_id).count() == counted


@pytest.mark.parametrize("round_", range(3))
def test_first_votes_racing_a_cancellation_leave_no_ballot(open_vote, round_):
    from referendums.services.campaigns import campaign_cancel
    from tests.factories import StaffFactory

    vote = open_vote(voters=60, districts=2)
    campaign_id = vote.campaign.pk
    ballot_cast(campaign_id=campaign_id, user=vote.voters[0], choices=vote.choices("no"))  # memo
    manager = StaffFactory(role="campaign_manager")

    cast = _first_vote_or_refusal(vote)
    one_landed = threading.Event()

    def cast_and_tell(i: int):  # type: ignore[no-untyped-def]
        outcome = cast(i)
        if not isinstance(outcome, Exception):
            one_landed.set()
        return outcome

    def cancel() -> object:
        one_landed.wait(timeout=10)  # the others are still casting: the race is on
        return campaign_cancel(campaign_id=campaign_id, actor=manager)

    outcomes = concurrently(40, lambda i: cancel() if i == 7 else cast_and_tell(i))
    assert not isinstance(outcomes[7], Exception), outcomes[7]
    assert one_landed.is_set()
    refused = [o for i, o in enumerate(outcomes) if i != 7 and isinstance(o, Exception)]
    assert all(getattr(o, "code", None) == "voting_not_open" for o in refused), refused
    assert Ballot.objects.filter(campaign_id=campaign_id).count() == 0
    assert ReceiptHash.objects.filter(campaign_id=campaign_id).count() == 0
