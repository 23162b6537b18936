"""Every hand-written SQL statement of the dashboards, each with the reason it is not the ORM's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import connection

from dashboards.models import FoldState, SignatureDistrictCount, SignatureHourly, StatsDocument

# --- The request path's reads -------------------------------------------------------------------
# Why by hand: the ORM's compilation would cost more than the indexed read itself (the unique
# (kind, object_id) index answers each of them), and the body is read as text and sent as is.

_TABLE = StatsDocument._meta.db_table
_VERSION_SQL = f"SELECT documents_version FROM {FoldState._meta.db_table} WHERE id = 1"  # noqa: S608
_HEAD_SQL = f"SELECT etag, updated_at FROM {_TABLE} WHERE kind = %s AND object_id = %s"  # noqa: S608
_DOCUMENT_SQL = (
    f"SELECT etag, updated_at, CAST(body AS text) FROM {_TABLE} "  # noqa: S608
    "WHERE kind = %s AND object_id = %s"
)
# The head row and one page of listings in one statement. The page's bodies are turned into text
# only after the LIMIT (not for every listing the sort looks at), and a page row carries only its
# text: NULLIF(x, x) is a NULL of x's type, so the driver parses no timestamp per row. Rows are put
# in order by the caller (the head is object 0); a UNION ALL of the head and a sub-select keeps it
# one plain statement.
_LISTING_PAGE_SQL = (
    f"SELECT object_id, etag, updated_at, CAST(body AS text) FROM {_TABLE} "  # noqa: S608
    "WHERE kind = %s AND object_id = %s "
    "UNION ALL "
    "SELECT object_id, NULLIF(etag, etag), NULLIF(updated_at, updated_at), CAST(body AS text) "
    f"FROM (SELECT object_id, etag, updated_at, body FROM {_TABLE} "
    "WHERE kind = %s AND object_id > %s ORDER BY object_id DESC LIMIT %s OFFSET %s) AS page"
)
_LISTING_COUNT_SQL = f"SELECT COUNT(*) FROM {_TABLE} WHERE kind = %s AND object_id > %s"  # noqa: S608


def documents_version() -> int | None:
    """The documents' version, bumped by each rebuild that changed one (None before the first)."""
    with connection.cursor() as cursor:
        cursor.execute(_VERSION_SQL)
        row = cursor.fetchone()
    return row[0] if row else None


def document_head_row(kind: str, object_id: int) -> tuple[str, datetime] | None:
    """(etag, updated_at) of one document: what a conditional GET compares."""
    with connection.cursor() as cursor:
        cursor.execute(_HEAD_SQL, [kind, object_id])
        return cursor.fetchone()


def document_row(kind: str, object_id: int) -> tuple[str, datetime, str] | None:
    """(etag, updated_at, body as JSON text) of one document."""
    with connection.cursor() as cursor:
        cursor.execute(_DOCUMENT_SQL, [kind, object_id])
        return cursor.fetchone()


def listing_page_rows(kind: str, head_id: int, *, offset: int, limit: int) -> list[Any]:
    """The head row (object `head_id`, if written) and one page of listings, unordered:
    (object_id, etag, updated_at, body text); a page row's etag and updated_at are NULL."""
    with connection.cursor() as cursor:
        cursor.execute(_LISTING_PAGE_SQL, [kind, head_id, kind, head_id, limit, offset])
        return cursor.fetchall()


def listing_count(kind: str, head_id: int) -> int:
    """How many listings there are. Only while no tick has written the head yet (the first minute
    after an upgrade): the head is what spares the request path this count."""
    with connection.cursor() as cursor:
        cursor.execute(_LISTING_COUNT_SQL, [kind, head_id])
        (count,) = cursor.fetchone()
    return int(count)


# --- The fold's writes and turns ----------------------------------------------------------------


def hourly_add(rows: list[tuple[int, int, datetime, int]]) -> None:
    """Add (initiative, track, hour, delta) rows to the hourly aggregates.

    Why by hand: one batched upsert that adds to the stored count (`count + excluded.count`); the
    ORM's bulk_create can only overwrite a conflicting row's value, not add to it."""
    table = SignatureHourly._meta.db_table
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (initiative_id, track, hour, count) "  # noqa: S608
            "VALUES (%s, %s, %s, %s) ON CONFLICT (initiative_id, track, hour) "
            f"DO UPDATE SET count = {table}.count + excluded.count",
            [(i, t, adapt(h), d) for i, t, h, d in rows],
        )


def district_add(rows: list[tuple[int, int, int]]) -> None:
    """Add (initiative, district, delta) rows to the district aggregates (why: as `hourly_add`)."""
    table = SignatureDistrictCount._meta.db_table
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (initiative_id, district_id, count) "  # noqa: S608
            "VALUES (%s, %s, %s) ON CONFLICT (initiative_id, district_id) "
            f"DO UPDATE SET count = {table}.count + excluded.count",
            rows,
        )


# Any constant shared by every process: folds and document rebuilds take turns under it.
_FOLD_LOCK_KEY = 0xDA5B0A


@contextmanager
def fold_turn() -> Iterator[None]:
    """Folds and document rebuilds take turns.

    Why by hand: a session-level advisory lock, taken before their transaction starts, so that the
    transaction's snapshot is younger than the last fold's commit (a row lock would be taken
    inside the transaction, after its snapshot; the ORM has no advisory locks)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [_FOLD_LOCK_KEY])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_FOLD_LOCK_KEY])


def snapshot_for_transaction() -> None:
    """Read the rest of the current transaction from one snapshot (REPEATABLE READ).

    Why by hand: Django sets the isolation level per connection only; the fold needs it for its
    own transaction, as its first statement."""
    with connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
