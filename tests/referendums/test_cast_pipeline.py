"""The first vote's two statements sent through libpq's pipeline directly (civic/perf/pipeline.py):
the same writes as psycopg's pipeline, each statement with the voter or the choice and never both,
prepared statements that survive psycopg's deallocations, errors raised as Django's, and the two
statements one implicit transaction."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from civic.perf import pipeline
from referendums.models import Ballot, Participation, ReceiptHash
from referendums.services.voting import ballot_cast, state_memo_forget

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[list[tuple[bytes, dict[str, Any]]]]:
    """Each call of the direct pipeline: its statements' texts and parameters."""
    calls: list[list[tuple[bytes, dict[str, Any]]]] = []
    run = pipeline._run

    def record(pgc: Any, steps: Any) -> Any:
        calls.append([(step.text, dict(params)) for step, params in steps])
        return run(pgc, steps)

    monkeypatch.setattr(pipeline, "_run", record)
    return calls


def _prepared(text: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{text}%"]
        )
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.parametrize("memo", [True, False], ids=["short-path", "transactional-path"])
def test_a_first_vote_goes_through_the_direct_pipeline_voter_and_choice_apart(
    open_vote: Any, sent: list[Any], memo: bool
) -> None:
    vote = open_vote(voters=3)
    campaign_id = vote.campaign.pk
    ballot_cast(campaign_id=campaign_id, user=vote.voters[2], choices=vote.choices("no"))
    if not memo:
        state_memo_forget()
    sent.clear()
    voter = vote.voters[0]
    result = ballot_cast(campaign_id=campaign_id, user=voter, choices=vote.choices("yes"))
    assert not result.revote
    [[(voter_text, voter_params), (ballot_text, ballot_params)]] = sent
    assert b"INSERT INTO referendums_participation" in voter_text
    assert b"referendums_ballot" not in voter_text
    assert b"INSERT INTO referendums_ballot" in ballot_text
    assert voter_params["e"] == voter.register_entry_id
    # The ballot's statement gets its id, the campaign and the choices: nothing of the voter.
    assert set(ballot_params) == {"b", "c", "choices"} and ballot_params["c"] == campaign_id
    assert '"o1"' in ballot_params["choices"]
    assert not any('"o1"' in str(value) for value in voter_params.values())
    # Written whole, as by psycopg's pipeline: participation, receipt, ballot.
    assert Participation.objects.filter(campaign_id=campaign_id).count() == 2
    assert ReceiptHash.objects.filter(campaign_id=campaign_id).count() == 2
    assert Ballot.objects.filter(campaign_id=campaign_id).count() == 2
    assert len(_prepared("INSERT INTO referendums_participation")) == 1


def test_the_statements_are_prepared_again_after_psycopg_deallocates_them(
    open_vote: Any, sent: list[Any]
) -> None:
    vote = open_vote(voters=3)
    campaign_id = vote.campaign.pk
    ballot_cast(campaign_id=campaign_id, user=vote.voters[0], choices=vote.choices("yes"))
    assert _prepared("INSERT INTO referendums_ballot")
    # A rollback makes psycopg deallocate every prepared statement of the connection.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        transaction.set_rollback(True)
    assert _prepared("INSERT INTO referendums_ballot") == []
    ballot_cast(campaign_id=campaign_id, user=vote.voters[1], choices=vote.choices("no"))
    assert len(sent) == 2
    assert Ballot.objects.filter(campaign_id=campaign_id).count() == 2


def test_a_failing_statement_rolls_back_the_pair_and_raises_django_s_error(db: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE pipeline_probe (id int PRIMARY KEY)")
    try:
        first = "INSERT INTO pipeline_probe (id) VALUES (%(a)s) RETURNING id"
        rows = pipeline.run([(first, {"a": 1}), ("SELECT %(b)s || 'x'", {"b": "y"})])
        assert rows == [(b"1",), (b"yx",)]
        # The second fails (a duplicate): the first's row of this pair is rolled back with it.
        with pytest.raises(IntegrityError):
            pipeline.run([(first, {"a": 2}), (first, {"a": 1})])
        with connection.cursor() as cursor:
            cursor.execute("SELECT array_agg(id ORDER BY id) FROM pipeline_probe")
            assert cursor.fetchone()[0] == [1]
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE pipeline_probe")


def test_a_watched_connection_takes_psycopg_s_pipeline(open_vote: Any, sent: list[Any]) -> None:
    vote = open_vote(voters=2)
    seen: list[str] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("yes"))
    assert sent == []
    assert any("INSERT INTO referendums_ballot" in sql for sql in seen)
