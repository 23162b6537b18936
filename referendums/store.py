"""Every hand-written SQL statement of the referendums app, each a named function with its reason.

Table names come from the models and values travel as parameters, never spliced in. The guard of
the first vote (`FIRST_VOTE_SQL`) is the SQL spelling of `rules.may_vote`; a parametrised test
(tests/referendums/test_rules.py) runs both on the same table of cases and requires them to agree.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from django.db import connection

from civic.models import District, RegisterEntry
from civic.perf import pipeline, prepared_cursor
from referendums.models import (
    Ballot,
    Campaign,
    ElectorateMember,
    Participation,
    ReceiptHash,
    SealingKey,
    TurnoutSlot,
    VotingMethod,
)

# --- Advisory locks ----------------------------------------------------------------------------

# One advisory lock key space per campaign: casts take it shared, the close and a cancellation take
# it exclusive, so they wait for casts in flight and no cast slips in after the seals are destroyed.
# Advisory locks live in the lock manager: unlike a row lock they write nothing to the campaign's
# tuple.
LOCK_NAMESPACE = 0x52_45_46  # "REF"

# The clock's sweeps (campaigns_advance) claim a campaign under their own key space: a sweep that
# finds a campaign claimed leaves it to the one working on it and moves on to the next, instead of
# queueing behind it to find its step already taken. Only sweeps take these keys and they never wait
# for them, so no lock order with the campaign lock above or the campaign row is created.
SWEEP_NAMESPACE = 0x52_45_53  # "RES"


def lock_key(campaign_id: int) -> int:
    """PostgreSQL's two-key advisory locks take 32-bit integers: larger ids fold into that range
    (two campaigns sharing a key only wait for each other, which is safe)."""
    return campaign_id % 2_147_483_647


def campaign_lock(campaign_id: int, *, shared: bool) -> None:
    """Until the end of the transaction. Why SQL: advisory locks have no ORM spelling."""
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s, %s)", [LOCK_NAMESPACE, lock_key(campaign_id)])


def campaign_sweep_claim(campaign_id: int) -> bool:
    """Try to claim the campaign for this sweep until the end of the current transaction; True if
    this transaction holds it. Why SQL: a lock tried without waiting, which no row lock gives
    without also locking the campaign row the casts read."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_xact_lock(%s, %s)", [SWEEP_NAMESPACE, lock_key(campaign_id)]
        )
        return bool(cursor.fetchone()[0])


# --- The cast ----------------------------------------------------------------------------------


class CastState(NamedTuple):
    """What a cast needs to know of the campaign, and of the voter: their frozen district."""

    status: str
    voting_method: str
    predicate: str
    voting_opens_at: datetime
    voting_closes_at: datetime
    opened_at: datetime | None
    electorate_districts: dict[str, int]
    member_district: str | None  # None: not an elector of this vote
    wrapped_key: str | None


@cache
def _cast_state_sql() -> str:
    campaign = Campaign._meta.db_table
    member = ElectorateMember._meta.db_table
    district = District._meta.db_table
    sealing = SealingKey._meta.db_table
    entry = RegisterEntry._meta.db_table  # a voter struck off the register is out (CIVIC-RULES)
    return f"""
        SELECT c.status, c.voting_method, c.predicate, c.voting_opens_at, c.voting_closes_at,
               c.opened_at, c.electorate_districts,
               (SELECT d.code FROM {member} m JOIN {district} d ON d.id = m.district_id
                 WHERE m.campaign_id = c.id AND m.register_entry_id = %(entry)s
                   AND EXISTS (SELECT 1 FROM {entry} r WHERE r.id = %(entry)s AND r.active)
                 LIMIT 1),
               (SELECT k.wrapped_key FROM {sealing} k WHERE k.campaign_id = c.id LIMIT 1),
               pg_advisory_xact_lock_shared(%(namespace)s, %(key)s)
        FROM {campaign} c
        WHERE c.id = %(campaign)s
    """  # noqa: S608 - table names from the models, values as parameters


def cast_state(campaign_id: int, entry_id: int) -> CastState | None:
    """The campaign's voting state, the voter's frozen district and the wrapped sealing key, under
    the shared campaign lock (taken by the statement itself, selected so the database evaluates
    it). Why SQL: the hottest read of a vote, in one plain statement with no ORM compilation; the
    write re-checks the status in its own, later snapshot."""
    with connection.cursor() as cursor:
        cursor.execute(
            _cast_state_sql(),
            {
                "entry": entry_id,
                "namespace": LOCK_NAMESPACE,
                "key": lock_key(campaign_id),
                "campaign": campaign_id,
            },
        )
        row = cursor.fetchone()
    if row is None:
        return None
    districts = row[6]
    if isinstance(districts, str):  # jsonb arrives as text through Django's plain cursor
        districts = json.loads(districts)
    return CastState(
        status=row[0],
        voting_method=row[1],
        predicate=row[2],
        voting_opens_at=row[3],
        voting_closes_at=row[4],
        opened_at=row[5],
        electorate_districts=districts or {},
        member_district=row[7],
        wrapped_key=row[8],
    )


# The guard of the first vote, in the CTE `open` and `member` below: the SQL spelling of
# `rules.may_vote` (an online vote, status voting, opens <= now < closes, the voter in the frozen
# electorate and not struck off the register since: CIVIC-RULES, "Strike-offs").
# tests/referendums/test_rules.py holds the two to the same table of cases.
#
# A first vote is two statements, sent together in one round trip (psycopg's pipeline) and run in
# one transaction: the participation statement knows the voter and not the choice, the ballot
# statement the choice and not the voter, so no statement text, parameter list, log line or
# `pg_stat_activity` row ever holds both (docs/threat-model.md, ballot secrecy). They share no
# value either: the participation statement leaves its verdict and the voter's publishable
# district in a transaction-local setting that the ballot statement reads, so the ballot is
# written if and only if the participation was, and the setting is gone at the commit.
CAST_SETTING = "civic.cast_ballot"


@cache
def _participation_sql() -> str:
    tables = {
        "campaign": Campaign._meta.db_table,
        "member": ElectorateMember._meta.db_table,
        "district": District._meta.db_table,
        "slot": TurnoutSlot._meta.db_table,
        "participation": Participation._meta.db_table,
        "receipt": ReceiptHash._meta.db_table,
        "entry": RegisterEntry._meta.db_table,
        "setting": CAST_SETTING,
    }
    return """
        WITH open AS (
            SELECT c.electorate_districts FROM {campaign} c
            WHERE c.id = %(c)s AND c.status = 'voting' AND c.voting_method = %(online)s
              AND c.voting_opens_at <= %(now)s AND %(now)s < c.voting_closes_at
            FOR SHARE
        ), member AS (
            SELECT d.code FROM {member} m JOIN {district} d ON d.id = m.district_id
            WHERE m.campaign_id = %(c)s AND m.register_entry_id = %(e)s
              AND EXISTS (SELECT 1 FROM open)
              AND EXISTS (SELECT 1 FROM {entry} r WHERE r.id = %(e)s AND r.active)
            LIMIT 1
        ), target AS (
            SELECT s.id FROM {slot} s, member
            WHERE s.campaign_id = %(c)s AND s.district_code = member.code AND s.slot = %(slot)s
        ), p AS (
            INSERT INTO {participation} (campaign_id, register_entry_id, voted_at, sealed_ref)
            SELECT %(c)s, %(e)s, %(now)s, %(seal)s WHERE EXISTS (SELECT 1 FROM target)
            ON CONFLICT (campaign_id, register_entry_id) DO NOTHING
            RETURNING id
        ), s AS (
            UPDATE {slot} SET participations = participations + 1
            WHERE id = (SELECT id FROM target) AND EXISTS (SELECT 1 FROM p)
            RETURNING 1
        ), r AS (
            INSERT INTO {receipt}
                (id, campaign_id, digest, superseded, checkable_until, checks_left)
            SELECT %(r)s, %(c)s, %(digest)s, false, %(until)s, %(checks)s
            WHERE EXISTS (SELECT 1 FROM p)
            RETURNING 1
        ), go AS (
            -- Set on every run, '' when nothing was created: a setting left by an earlier cast
            -- of the same transaction never lets a ballot through.
            SELECT set_config('{setting}', COALESCE((
                SELECT 'ok:' || COALESCE(
                    CASE WHEN COALESCE((open.electorate_districts ->> member.code)::int, 0)
                              >= %(small)s
                         THEN member.code END, '')
                FROM open, member WHERE EXISTS (SELECT 1 FROM p)), ''), true) AS flag
        )
        SELECT EXISTS (SELECT 1 FROM open), EXISTS (SELECT 1 FROM target),
               EXISTS (SELECT 1 FROM p),
               (SELECT count(*) FROM s), (SELECT count(*) FROM r),
               (SELECT starts_with(flag, 'ok:') FROM go)
    """.format(**tables)  # noqa: S608 - table names from the models, values as parameters


@cache
def _ballot_sql() -> str:
    ballot = Ballot._meta.db_table
    # current_setting(..., true): NULL, or '' once the setting of an earlier transaction of this
    # session has ended; only this transaction's participation statement makes it 'ok:...'.
    return f"""
        WITH b AS (
            INSERT INTO {ballot} (id, campaign_id, choices, district_code)
            SELECT %(b)s, %(c)s, %(choices)s,
                   NULLIF(substr(current_setting('{CAST_SETTING}', true), 4), '')
            WHERE starts_with(current_setting('{CAST_SETTING}', true), 'ok:')
            RETURNING 1
        )
        SELECT count(*) FROM b
    """  # noqa: S608 - table names from the models, values as parameters


class FirstVote(NamedTuple):
    open: bool  # the campaign row, share-locked, was voting at `now`
    has_slot: bool  # the voter is in the electorate and their district's turnout slot exists
    created: bool  # a first vote: participation, turnout slot, receipt hash and ballot written


def first_vote_write(
    *,
    campaign_id: int,
    entry_id: int,
    now: datetime,
    sealed_ref: str,
    slot: int,
    ballot_id: uuid.UUID,
    choices: str,
    digest: str,
    checkable_until: datetime,
    checks: int,
    small_cell: int,
) -> FirstVote:
    """A first vote's writes (participation, turnout slot, receipt hash; then the ballot) in two
    statements of one transaction, all or nothing; when the first does not create the
    participation nothing is written. Why SQL: one round trip (the two statements pipelined;
    outside a transaction, PostgreSQL runs a pipeline up to its sync as one implicit
    transaction), that share-locks the campaign row while checking it is voting (the close and a
    cancellation wait for it), prepared once per connection (planning these CTEs costs
    PostgreSQL as much as running them). The voter goes to the first statement, the choice to the
    second."""
    voter_params: dict[str, Any] = {
        "c": campaign_id,
        "e": entry_id,
        "now": now,
        "online": VotingMethod.ONLINE.value,
        "seal": sealed_ref,
        "slot": slot,
        "r": uuid.uuid4(),
        "digest": digest,
        "until": checkable_until,
        "checks": checks,
        "small": small_cell,
    }
    ballot_params: dict[str, Any] = {"b": ballot_id, "c": campaign_id, "choices": choices}
    if pipeline.available():
        # The same two prepared statements in one round trip, for a fraction of the CPU.
        voter_row, ballot_row = pipeline.run(
            [(_participation_sql(), voter_params), (_ballot_sql(), ballot_params)]
        )
        assert voter_row is not None and ballot_row is not None
        still_open, has_slot, created, flagged = (
            pipeline.as_bool(voter_row[i]) for i in (0, 1, 2, 5)
        )
        slots, receipts, ballots = map(pipeline.as_int, (voter_row[3], voter_row[4], ballot_row[0]))
    else:
        with prepared_cursor() as voter, prepared_cursor() as ballot:
            with voter.db.connection.pipeline():
                voter.execute(_participation_sql(), voter_params)
                ballot.execute(_ballot_sql(), ballot_params)
            still_open, has_slot, created, slots, receipts, flagged = voter.fetchone()
            (ballots,) = ballot.fetchone()
    # The participation is written only with its turnout slot, the rest only with it: all or none.
    assert not created or (slots, receipts, flagged, ballots) == (1, 1, True, 1), "a partial vote"
    assert created or ballots == 0, "a ballot without its participation"
    return FirstVote(bool(still_open), bool(has_slot), bool(created))


def receipt_check_claim(campaign_id: int, digest: str, now: datetime) -> bool | None:
    """Spend one check of a receipt still in its window: True if spent, False if the receipt
    exists but is past its window or its checks, None if there is no such receipt. Why SQL: the
    decrement and its guard in one statement, so concurrent checks never spend more than the
    limit, and one round trip either way."""
    table = ReceiptHash._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH spent AS (
                UPDATE {table} SET checks_left = checks_left - 1
                WHERE campaign_id = %(c)s AND digest = %(d)s
                  AND checks_left > 0 AND checkable_until > %(now)s
                RETURNING 1
            )
            SELECT EXISTS (SELECT 1 FROM spent),
                   EXISTS (SELECT 1 FROM {table} WHERE campaign_id = %(c)s AND digest = %(d)s)
            """,  # noqa: S608 - table names from the models, values as parameters
            {"c": campaign_id, "d": digest, "now": now},
        )
        spent, exists = cursor.fetchone()
    if spent:
        return True
    return False if exists else None


# --- The electorate and the close --------------------------------------------------------------


def electorate_insert(campaign_id: int, entries_sql: str, entries_params: Any) -> None:
    """Copy the register entries selected by `entries_sql` (id, district_id) into the frozen
    electorate. Why SQL: one INSERT ... SELECT reads the register once, in the database, however
    many electors (the ORM would bring every row through Python)."""
    table = ElectorateMember._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (campaign_id, register_entry_id, district_id) "  # noqa: S608
            f"SELECT %s, sub.id, sub.district_id FROM ({entries_sql}) sub",
            [campaign_id, *entries_params],
        )


def ballots_reshuffle(campaign_id: int) -> None:
    """Give every ballot of the campaign a new random id and rewrite the rows in random order, so
    neither an old backup's seal nor the physical order of rows points at a ballot any more. Why
    SQL: one statement over a million rows, never through Python."""
    table = Ballot._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH old AS (DELETE FROM {table} WHERE campaign_id = %s "  # noqa: S608
            "RETURNING campaign_id, choices, district_code) "
            f"INSERT INTO {table} (id, campaign_id, choices, district_code) "
            "SELECT gen_random_uuid(), campaign_id, choices, district_code FROM old "
            "ORDER BY random()",
            [campaign_id],
        )


def tables_vacuum() -> None:
    """Mark the dead row versions left by re-votes and the close as reusable, and rewrite the
    sealing-key table without the destroyed keys. Why SQL: VACUUM has
    no ORM spelling (and runs outside a transaction: the task calls it in autocommit)."""
    tables = [Ballot._meta.db_table, ReceiptHash._meta.db_table, Participation._meta.db_table]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM {table}")
        # The sealing keys: a handful of rows, one per open vote. A plain VACUUM would only mark
        # a deleted key's space reusable, its bytes still in the table file (and in a backup or a
        # stolen disk image) until overwritten: FULL rewrites the table into a new file with the
        # live keys only. Its exclusive lock lasts milliseconds, during which casts wait.
        cursor.execute(f"VACUUM FULL {SealingKey._meta.db_table}")


# --- The server's logging (a deploy check) -----------------------------------------------------

# PostgreSQL settings that write statements or their parameters to the server's log: a log that
# holds a cast's statements and their values links the voter (the participation statement) with
# the time of a ballot (the next statement of the same backend). Read with `current_setting(name,
# true)`: NULL where the server is too old to have the setting or the module is not loaded.
SERVER_LOGGING_SETTINGS = (
    "log_statement",
    "log_min_duration_statement",
    "log_min_duration_sample",
    "log_statement_sample_rate",
    "log_transaction_sample_rate",
    "log_parameter_max_length",
    "log_parameter_max_length_on_error",
    "shared_preload_libraries",
    "session_preload_libraries",
    "auto_explain.log_min_duration",
    "auto_explain.log_parameter_max_length",
)


def server_logging_settings() -> dict[str, str | None]:
    """The connected server's logging settings, as this session sees them. Why SQL: server
    settings have no ORM spelling."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, current_setting(name, true) FROM unnest(%s::text[]) AS name",
            [list(SERVER_LOGGING_SETTINGS)],
        )
        return dict(cursor.fetchall())
