"""Every hand-written SQL statement of the petitions app, each a named function saying why it is not
the ORM. Nothing else in the app opens a cursor (migrations aside).

The guard "collection is open" inside the statements that write signatures is `rules.COLLECTION_OPEN_SQL`,
the SQL form of `rules.collection_open` (tests/petitions/test_rules_agree.py runs both on one table
of cases).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from django.db import DEFAULT_DB_ALIAS, connection, connections

from civic.models import District, User
from civic.perf import model_columns, prepared_cursor
from petitions.models import (
    MAX_TRACKS,
    TOTAL_TRACK,
    Initiative,
    InitiativeCount,
    RejectionReason,
    SignatureCountSlot,
)
from petitions.rules import COLLECTION_OPEN_SQL

SLOTS = SignatureCountSlot._meta.db_table
COUNTS = InitiativeCount._meta.db_table

SignatureRow = tuple[
    int, int, str, str, datetime, int, Any, int | None, str | None, int | None, str | None
]
"""(initiative, register entry, identity hash, channel, created_at, track mask, facts (prepared
JSON), district, quarter key, entered by, signer's IP address): the columns of one signature, in
`_COLUMNS` order."""

_COLUMNS = """(initiative_id, register_entry_id, identity_hash, channel, created_at, track_mask, facts,
     district_id, quarter_key, entered_by_id, ip)"""


# --- Signing -----------------------------------------------------------------------------------

_INSERT_SQL = f"""
INSERT INTO petitions_signature
    {_COLUMNS}
SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::inet
WHERE EXISTS (
    SELECT 1 FROM petitions_initiative
    WHERE id = %s AND {COLLECTION_OPEN_SQL}
) AND EXISTS (
    SELECT 1 FROM civic_registerentry WHERE id = %s AND active
)
RETURNING id, track_mask
"""  # noqa: S608 - constants only

SIGN_AND_COUNT = f"""
WITH ins AS ({_INSERT_SQL.strip()}),
slot AS (
    INSERT INTO petitions_signaturecountslot (initiative_id, mask, slot, delta)
    SELECT %s, ins.track_mask, %s, 1 FROM ins
    ON CONFLICT (initiative_id, mask, slot)
    DO UPDATE SET delta = petitions_signaturecountslot.delta + excluded.delta
)
SELECT id FROM ins
"""  # noqa: S608 - constants only


def signature_insert_counted(row: SignatureRow, *, slot: int) -> int | None:
    """Record a signature and add 1 to its count slot, only if collection is open at its
    created_at and the signer is not struck off the register. Returns the new id; None when
    collection is not open or the signer is struck off; raises IntegrityError on a duplicate or a
    used quarter.

    Why SQL: the hottest write. ONE statement (a data-modifying CTE), which in autocommit is its
    own transaction: no BEGIN, savepoint or COMMIT round trip; the open-collection guard runs in
    the same statement, so no scheduler delay ever lets a late signature in; prepared once per
    connection (planning it cost PostgreSQL about as much as running it, bench/README.md W1).
    The strike-off guard reads the register row in the same statement: the entry the caller holds
    may come from a cache, and a strike-off committed a moment ago must already refuse."""
    initiative_id, entry_id, now = row[0], row[1], row[4]
    with prepared_cursor() as cursor:
        cursor.execute(SIGN_AND_COUNT, [*row, initiative_id, now, entry_id, initiative_id, slot])
        found = cursor.fetchone()
    return int(found[0]) if found else None


def quarter_used_elsewhere(*, register_entry_id: int, quarter_key: str, initiative_id: int) -> bool:
    """Whether this elector's request of the quarter went to another initiative.

    Why SQL: asked only after the unique constraint refused a write, to tell a repeated signature
    from a used quarter; one indexed probe with LIMIT 1, no model built."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM petitions_signature "
            "WHERE register_entry_id = %s AND quarter_key = %s AND initiative_id <> %s LIMIT 1",
            [register_entry_id, quarter_key, initiative_id],
        )
        return cursor.fetchone() is not None


_DELETE_SQL = f"""
DELETE FROM petitions_signature
WHERE initiative_id = %s AND register_entry_id = %s
  AND EXISTS (SELECT 1 FROM petitions_initiative WHERE id = %s AND {COLLECTION_OPEN_SQL})
RETURNING track_mask, invalidation_id, channel
"""  # noqa: S608 - constants only


class Deleted(NamedTuple):
    """The signature a withdrawal deleted: its track mask, and the invalidation that held it
    (None when it was counted), with its channel for that invalidation's tallies."""

    mask: int
    invalidation_id: int | None
    channel: str


def signature_delete_while_open(
    *, initiative_id: int, register_entry_id: int | None, now: datetime
) -> Deleted | None:
    """Delete one's signature only if collection is open at `now`, counted or held by an
    invalidation alike (a resident's withdrawal wins: an undo must not bring it back). Returns
    what was deleted, or None when there was none (or collection is closed).

    Why SQL: the open-collection guard must be in the same statement as the delete, and the row's
    state at the instant it is deleted decides which tally moves (DELETE ... RETURNING): a row
    an invalidation marks or an undo restores meanwhile is seen as the racing statement left it."""
    with connection.cursor() as cursor:
        cursor.execute(_DELETE_SQL, [initiative_id, register_entry_id, initiative_id, now])
        row = cursor.fetchone()
    if row is None:
        return None
    return Deleted(int(row[0]), None if row[1] is None else int(row[1]), str(row[2]))


def paper_signatures_insert(rows: Sequence[SignatureRow], *, now: datetime) -> dict[int, int]:
    """Record a batch of paper signatures (all of one initiative) if collection is open at `now`,
    skipping those already signed and those struck off the register. Returns {register entry: track mask} of the rows written.

    Why SQL: W8 (a million paper rows) needs one statement per batch, with the open-collection
    guard of a single signature and ON CONFLICT DO NOTHING (the ORM's bulk_create cannot guard)."""
    if not rows:
        return {}
    placeholder = (
        "(%s::bigint, %s::bigint, %s, %s, %s::timestamptz, %s::smallint, %s::jsonb, %s::bigint,"
        " %s, %s::bigint, %s::inet)"
    )
    sql = (
        f"INSERT INTO petitions_signature {_COLUMNS} "  # noqa: S608 - constants only
        f"SELECT v.* FROM (VALUES {', '.join([placeholder] * len(rows))}) AS v "
        f"WHERE EXISTS (SELECT 1 FROM petitions_initiative WHERE id = %s AND {COLLECTION_OPEN_SQL}) "
        "AND EXISTS (SELECT 1 FROM civic_registerentry r WHERE r.id = v.column2 AND r.active) "
        "ON CONFLICT DO NOTHING RETURNING register_entry_id, track_mask"
    )
    params: list[Any] = [value for row in rows for value in row]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, rows[0][0], now])
        return {int(entry_id): int(mask) for entry_id, mask in cursor.fetchall()}


# --- An initiative's page ------------------------------------------------------------------------

PAGE_ROW_MODELS = (Initiative, District, User, RejectionReason)


@cache
def _page_row_sql() -> str:
    return f"""
SELECT {model_columns(Initiative, "i")}, {model_columns(District, "d")},
       {model_columns(User, "u")}, {model_columns(RejectionReason, "r")},
       EXISTS (SELECT 1 FROM petitions_signature s
               WHERE s.initiative_id = i.id AND s.register_entry_id = %s)
FROM petitions_initiative i
JOIN civic_user u ON u.id = i.initiator_id
LEFT JOIN civic_district d ON d.id = i.district_id
LEFT JOIN petitions_rejectionreason r ON r.id = i.rejection_reason_id
WHERE i.id = %s
"""  # noqa: S608 - constants only


def initiative_page_row(
    initiative_id: int, *, register_entry_id: int | None = None
) -> tuple[Any, ...] | None:
    """The initiative's columns, then its district's, its initiator's and its rejection reason's
    (NULLs where it has none), in `PAGE_ROW_MODELS` and `model_columns` order, then whether the
    register entry `register_entry_id` signed it (false for None).

    Why by hand: every view of an initiative's page reads this row; the ORM's `select_related`
    over three tables cost about 2.5 ms of CPU to compile, more than the rest of a signed-in
    resident's view (bench/pages_cpu.py). One prepared statement, no compilation; "has signed"
    rides along (a unique index probe) instead of a query of its own per signed-in view."""
    with prepared_cursor() as cursor:
        cursor.execute(_page_row_sql(), [register_entry_id, initiative_id])
        return cursor.fetchone()


# --- Counting ----------------------------------------------------------------------------------


def slots_add(rows: Iterable[tuple[int, int, int, int]]) -> None:
    """Add deltas to count slot rows: (initiative, mask, slot, delta), in the caller's order.

    Why SQL: an upsert that adds to the row (ON CONFLICT DO UPDATE delta = delta + excluded),
    one statement for any number of rows; callers pass rows in a signer's lock order."""
    rows = list(rows)
    if not rows:
        return
    values = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {SLOTS} (initiative_id, mask, slot, delta) VALUES {values} "  # noqa: S608
            f"ON CONFLICT (initiative_id, mask, slot) DO UPDATE SET delta = {SLOTS}.delta + excluded.delta",
            [value for row in rows for value in row],
        )


# Rows are locked in (initiative, mask, slot) order, the order in which writers upsert theirs, so
# a fold and a signer never deadlock; folds themselves take turns (advisory lock), so two folds
# never lock count rows in opposite orders.
_FOLD_LOCK_KEY = 0x9E7170
_TRACKS_VALUES = ", ".join(f"({t})" for t in [TOTAL_TRACK, *range(MAX_TRACKS)])
_FOLD_SQL = f"""
WITH locked AS (
    SELECT id FROM {SLOTS} ORDER BY initiative_id, mask, slot FOR UPDATE
),
taken AS (
    DELETE FROM {SLOTS} AS s USING locked WHERE s.id = locked.id
    RETURNING s.initiative_id, s.mask, s.delta
),
per_mask AS (
    SELECT initiative_id, mask, SUM(delta) AS d FROM taken GROUP BY initiative_id, mask
),
sums AS (
    SELECT m.initiative_id, k.track, SUM(m.d) AS d
    FROM per_mask m CROSS JOIN (VALUES {_TRACKS_VALUES}) AS k(track)
    WHERE k.track = {TOTAL_TRACK} OR (m.mask & (1 << k.track)) <> 0
    GROUP BY m.initiative_id, k.track HAVING SUM(m.d) <> 0
),
counted AS (
    UPDATE {COUNTS} AS c SET count = c.count + sums.d, updated_at = %s
    FROM sums WHERE c.initiative_id = sums.initiative_id AND c.track = sums.track
    RETURNING c.initiative_id
)
SELECT DISTINCT initiative_id FROM counted ORDER BY initiative_id
"""  # noqa: S608 - constants only


def counts_fold_slots(*, now: datetime) -> list[int]:
    """Move every pending slot delta into the published counts (inside the caller's transaction).
    Returns the ids of the initiatives whose counts changed.

    Why SQL: one statement takes the deltas, sums them per mask, expands masks into tracks and
    updates the counts: the cost of a GROUP BY over the slot rows (W3), never of the signatures;
    each count row is rewritten in place (a HOT update: see `InitiativeCount`), and each touched
    initiative comes back once, sorted, from the statement itself.
    The advisory lock makes folds take turns (held to the end of the transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_FOLD_LOCK_KEY])
        cursor.execute(_FOLD_SQL, [now])
        return [int(row[0]) for row in cursor.fetchall()]


_RECOUNT_SQL = f"""
SELECT c.track, c.count,
  COALESCE((SELECT SUM(s.delta) FROM {SLOTS} s
            WHERE s.initiative_id = c.initiative_id
              AND (c.track = {TOTAL_TRACK} OR (s.mask & (1 << c.track)) <> 0)), 0),
  (SELECT COUNT(*) FROM petitions_signature g
   WHERE g.initiative_id = c.initiative_id AND g.invalidation_id IS NULL
     AND (c.track = {TOTAL_TRACK} OR (g.track_mask & (1 << c.track)) <> 0))
FROM {COUNTS} c
WHERE c.initiative_id = %s
"""  # noqa: S608 - constants only


def count_audit_rows(initiative_id: int) -> list[tuple[int, int, int, int]]:
    """(track, published count, pending slot deltas, signatures counted) per track.

    Why SQL: the three figures must come from ONE snapshot (a signature and its slot delta commit
    together), and the per-track signature count is a bit test on the mask."""
    with connection.cursor() as cursor:
        cursor.execute(_RECOUNT_SQL, [initiative_id])
        return [(int(t), int(c), int(p), int(a)) for t, c, p, a in cursor.fetchall()]


_CROSSINGS_SQL = f"""
SELECT r.id, c.count
FROM petitions_trackrung r
JOIN petitions_initiativetrack t ON t.id = r.track_id
JOIN petitions_initiative i ON i.id = t.initiative_id
JOIN {COUNTS} c ON c.initiative_id = t.initiative_id AND c.track = t.position
WHERE r.reached_at IS NULL AND r.threshold <= c.count AND i.status IN ({{statuses}}) {{only}}
ORDER BY t.initiative_id, t.position, r."order"
"""  # noqa: S608 - constants only


def rung_crossings(
    *, statuses: Sequence[str], initiative_ids: Sequence[int] | None
) -> dict[int, int]:
    """{track rung id: published count} of unreached rungs whose threshold the count has reached.

    Why SQL: one join over the unreached rungs (a partial index) and the published counts (W4:
    10,000 open initiatives per check), without building a model per candidate."""
    only = ""
    if initiative_ids is not None:
        only = f"AND t.initiative_id IN ({', '.join(['%s'] * len(initiative_ids))})"
    sql = _CROSSINGS_SQL.format(statuses=", ".join(["%s"] * len(statuses)), only=only)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*statuses, *(initiative_ids or [])])
        return {int(rung_id): int(count) for rung_id, count in cursor.fetchall()}


def published_count_rows(initiative_id: int) -> list[tuple[int, int, datetime]]:
    """(track, count, updated_at) of one initiative's published counts.

    Why SQL: the most read endpoint (W5) on a cache miss: one indexed read, no model built."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT track, count, updated_at FROM {COUNTS} WHERE initiative_id = %s",  # noqa: S608
            [initiative_id],
        )
        return [(int(t), int(c), u) for t, c, u in cursor.fetchall()]


# --- Invalidation ------------------------------------------------------------------------------

_INVALIDATION_LOCK_KEY = 0x1A7A11D


def invalidation_turn(initiative_id: int) -> None:
    """Invalidation and undo jobs of one initiative take turns, chunk by chunk (to the end of the
    caller's transaction), so two jobs never lock the same signature rows in opposite orders.

    Why SQL: a transaction-scoped advisory lock has no ORM form."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", [_INVALIDATION_LOCK_KEY, initiative_id]
        )


def signatures_mark_invalidated(
    *, invalidation_id: int, signature_ids: Sequence[int]
) -> list[tuple[int, int, str]]:
    """Mark these signatures invalidated, skipping any already invalidated or gone (withdrawn since
    they were selected). Returns (initiative, track mask, channel) of each row marked.

    Why SQL: the caller's count deltas must be those of the rows this very statement changed
    (UPDATE ... RETURNING): a row withdrawn or marked by a racing transaction is not counted twice."""
    if not signature_ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE petitions_signature SET invalidation_id = %s "
            "WHERE id = ANY(%s) AND invalidation_id IS NULL "
            "RETURNING initiative_id, track_mask, channel",
            [invalidation_id, list(signature_ids)],
        )
        return [(int(i), int(m), str(c)) for i, m, c in cursor.fetchall()]


def signatures_restore(*, invalidation_id: int, limit: int) -> list[tuple[int, int, str]]:
    """Put back up to `limit` signatures of one invalidation. Returns (initiative, track mask,
    channel) of each row restored; empty once none is left.

    Why SQL: as for marking, the deltas are those of the rows the statement changed (RETURNING),
    and the chunk walks the partial index of invalidated rows."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE petitions_signature SET invalidation_id = NULL WHERE id IN ("
            " SELECT id FROM petitions_signature WHERE invalidation_id = %s ORDER BY id LIMIT %s"
            ") AND invalidation_id = %s RETURNING initiative_id, track_mask, channel",
            [invalidation_id, limit, invalidation_id],
        )
        return [(int(i), int(m), str(c)) for i, m, c in cursor.fetchall()]
