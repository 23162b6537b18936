"""The ballot box cannot be emptied by TRUNCATE, nor changed once sealed at the close, whoever asks
(triggers: the owner and a superuser alike); the box's digest enters the audit chain at the close."""

import json

import pytest
from django.db import DatabaseError, connection, transaction

from civic.audit import audit_verify
from civic.models import AuditEntry
from referendums.models import Ballot, ReceiptHash
from referendums.services.voting import ballot_cast

pytestmark = pytest.mark.django_db


def _refused(query: str, params: list[object] | None = None, match: str = "") -> None:
    with (
        pytest.raises(DatabaseError, match=match),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(query, params or [])


@pytest.mark.parametrize(
    "table",
    [
        "referendums_ballot",
        "referendums_receipthash",
        "referendums_participation",
        "referendums_turnoutslot",
    ],
)
def test_truncate_is_refused_on_every_ballot_table(open_vote, table):
    vote = open_vote(voters=1)
    ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("yes"))
    with connection.cursor() as cursor:  # the test's open transaction: no pending FK checks
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    _refused(f"TRUNCATE {table} CASCADE", match="cannot be truncated")
    assert Ballot.objects.count() == 1


@pytest.fixture
def sealed(open_vote, close_vote):
    vote = open_vote(voters=3)
    for voter in vote.voters:
        ballot_cast(campaign_id=vote.campaign.pk, user=voter, choices=vote.choices("yes"))
    return vote, close_vote(vote.campaign)


def test_a_sealed_box_refuses_any_change_to_its_ballots(sealed):
    vote, campaign = sealed
    one = Ballot.objects.filter(campaign=campaign).first()
    assert one is not None
    _refused(
        "UPDATE referendums_ballot SET choices = %s WHERE id = %s",
        [json.dumps({vote.question_id: "no"}), one.pk],
        match="sealed",
    )
    _refused("DELETE FROM referendums_ballot WHERE id = %s", [one.pk], match="sealed")
    _refused(
        "INSERT INTO referendums_ballot (id, campaign_id, choices) "
        "VALUES (gen_random_uuid(), %s, %s)",
        [campaign.pk, one.choices],
        match="sealed",
    )
    assert Ballot.objects.filter(campaign=campaign).count() == 3


def test_a_sealed_box_refuses_any_change_to_its_receipts(sealed):
    _vote, campaign = sealed
    one = ReceiptHash.objects.filter(campaign=campaign).first()
    assert one is not None
    _refused("UPDATE referendums_receipthash SET digest = 'x' WHERE id = %s", [one.pk], "sealed")
    _refused("DELETE FROM referendums_receipthash WHERE id = %s", [one.pk], match="sealed")
    _refused(
        "INSERT INTO referendums_receipthash (id, campaign_id, digest, superseded, checks_left) "
        "VALUES (gen_random_uuid(), %s, 'forged', false, 0)",
        [campaign.pk],
        match="sealed",
    )


def test_the_seal_cannot_be_lifted_to_rewrite_the_box(sealed):
    _vote, campaign = sealed
    _refused(
        "UPDATE referendums_campaign SET results_digest = '' WHERE id = %s",
        [campaign.pk],
        match="sealed",
    )
    _refused("DELETE FROM referendums_campaign WHERE id = %s", [campaign.pk], match="sealed")


def test_the_close_writes_the_box_digest_into_the_chain(sealed):
    _vote, campaign = sealed
    entry = AuditEntry.objects.get(verb="referendum.ballot_box_sealed")
    assert entry.target_id == str(campaign.pk)
    assert entry.after["box_sha256"] == campaign.results_digest
    assert entry.after["ballots"] == entry.after["participations"] == 3
    assert entry.after["electorate"] == campaign.electorate_count
    assert audit_verify().ok


def test_an_open_box_still_takes_a_re_vote(open_vote):
    vote = open_vote(voters=1)
    ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("yes"))
    ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("no"))
    (ballot,) = Ballot.objects.filter(campaign=vote.campaign)
    assert json.loads(ballot.choices) == vote.choices("no")
