"""Real threads on PostgreSQL: one voter hammering the cast, many voters at once, the close racing."""

import json
import threading
from datetime import timedelta

import pytest
from django.db import connection

from referendums.models import Ballot, CampaignStatus, Participation, ReceiptHash
from referendums.sealing import receipt_digest
from referendums.services.campaigns import campaigns_advance, voting_close_due
from referendums.services.voting import ballot_cast
from tests.conftest import postgres_only

pytestmark = [postgres_only(), pytest.mark.django_db(transaction=True)]


# PostgreSQL allows 100 connections (shared with other test runs): at most 32 threads, each
# running its share of the calls back to back, all released at once by a barrier.
MAX_THREADS = 32


def _run(n: int, target) -> list:
    threads_count = min(n, MAX_THREADS)
    barrier = threading.Barrier(threads_count)
    outcomes: list = [None] * n

    def worker(t: int) -> None:
        try:
            barrier.wait()
            for i in range(t, n, threads_count):
                try:
                    outcomes[i] = target(i)
                except Exception as exc:
                    outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(threads_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_200_concurrent_casts_by_one_voter_leave_one_participation_and_one_ballot(open_vote):
    vote = open_vote(voters=1)
    campaign_id, voter = vote.campaign.pk, vote.voters[0]
    choices = ["yes" if i % 3 else "no" for i in range(200)]

    outcomes = _run(
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
    assert len(ballots) == 1 and len(receipts) == 1
    # The surviving receipt is the last cast to commit, and the counted choice is that cast's.
    survivor = [
        c for c, r in outcomes if receipt_digest(campaign_id, r.receipt) == receipts[0].digest
    ]
    assert len(survivor) == 1
    assert json.loads(ballots[0].choices)[vote.question_id] == survivor[0]
    assert sum(1 for _, r in outcomes if not r.revote) == 1


def test_many_voters_at_once_give_as_many_ballots_as_participations(open_vote, close_vote):
    vote = open_vote(voters=40, districts=2)
    campaign_id = vote.campaign.pk

    outcomes = _run(
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
    assert counts == {"yes": 25, "no": 15}


def test_the_close_raced_by_ten_workers_happens_once(open_vote, freeze):
    vote = open_vote(voters=3)
    for i in range(3):
        ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[i], choices=vote.choices("yes"))
    freeze(vote.campaign.voting_closes_at + timedelta(seconds=1))
    outcomes = _run(10, lambda i: voting_close_due(campaign_id=vote.campaign.pk))
    assert sorted(outcomes) == [False] * 9 + [True]
    vote.campaign.refresh_from_db()
    assert vote.campaign.status == CampaignStatus.CLOSED
    from civic.models import AuditEntry

    assert (
        AuditEntry.objects.filter(verb="referendum.closed", target_id=str(vote.campaign.pk)).count()
        == 1
    )
    assert campaigns_advance() == {"campaign": 0, "voting": 0, "closed": 0}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks exist on PostgreSQL")
def test_a_campaign_id_beyond_32_bits_still_takes_its_lock(db):
    from django.db import transaction

    from referendums.services.common import campaign_lock

    with transaction.atomic():
        campaign_lock(32_121_857_223, shared=False)
        campaign_lock(10**18 - 1, shared=True)
