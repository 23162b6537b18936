"""Reads of the published statistics: one indexed read per request, never a signature scan.

The body is read as text (`CAST(body AS text)`) and sent as is: no JSON decoding and re-encoding
on the request path. A conditional GET first reads only the validators, which each process also
remembers (see `_check_version`), so a 304 usually costs no query at all.

The paginated list reads its page and the list's head (total and validators, kept by the tick as
the `listing` document of object 0) in one statement: no `COUNT(*)` on the request path."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.errors import NotFound
from civic.models import User
from dashboards.models import LISTING_HEAD_ID, DocumentKind, FoldState, StatsDocument


@dataclass(frozen=True)
class Head:
    etag: str
    updated_at: datetime


@dataclass(frozen=True)
class Document(Head):
    text: str


@dataclass(frozen=True)
class ListingHead(Head):
    """The list's head: how many initiatives it holds, and validators that change whenever any
    listing document does (the ETag is a digest of every listing's ETag, in list order)."""

    count: int


# Validators this process has read, valid while the documents' version is unchanged; the version
# itself is re-read at most once a second. A 304 then usually costs no query at all, and a
# document is never answered "not modified" more than a second after it changed.
_MEMO: dict[tuple[str, int], Head] = {}
_VERSION: list[Any] = [0.0, None]  # [re-read after (monotonic), version]
_VERSION_SECONDS = 1.0


def document_memo_forget() -> None:
    _MEMO.clear()
    _VERSION[:] = [0.0, None]


def _check_version() -> None:
    if _VERSION[0] > time.monotonic():
        return
    with connection.cursor() as cursor:
        cursor.execute(_VERSION_SQL)
        row = cursor.fetchone()
    version = row[0] if row else None
    if version != _VERSION[1]:
        _MEMO.clear()
    _VERSION[:] = [time.monotonic() + _VERSION_SECONDS, version]


def _missing() -> NotFound:
    return NotFound(_("Statistiques introuvables."), code="stats_not_found")


# The reads of the request path as plain SQL: the ORM's compilation would cost more than the
# indexed read itself (the unique (kind, object_id) index answers each of them).
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
# in order in Python (the head is object 0). Portable: SQLite has no LATERAL, and no LIMIT in a
# bare UNION member.
_LISTING_PAGE_SQL = (
    f"SELECT object_id, etag, updated_at, CAST(body AS text) FROM {_TABLE} "  # noqa: S608
    "WHERE kind = %s AND object_id = %s "
    "UNION ALL "
    "SELECT object_id, NULLIF(etag, etag), NULLIF(updated_at, updated_at), CAST(body AS text) "
    f"FROM (SELECT object_id, etag, updated_at, body FROM {_TABLE} "
    "WHERE kind = %s AND object_id > %s ORDER BY object_id DESC LIMIT %s OFFSET %s) AS page"
)
# Only while no tick has written the head yet (the first minute after an upgrade).
_LISTING_COUNT_SQL = f"SELECT COUNT(*) FROM {_TABLE} WHERE kind = %s AND object_id > %s"  # noqa: S608


def _fetch(sql: str, kind: str, object_id: int) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql, [kind, object_id])
        return cursor.fetchone()


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return connection.ops.convert_datetimefield_value(value, None, connection)  # type: ignore[attr-defined]


def document_head(*, kind: str, object_id: int = 0) -> Head:
    _check_version()
    key = (kind, object_id)
    memo = _MEMO.get(key)
    if memo is not None:
        return memo
    row = _fetch(_HEAD_SQL, kind, object_id)
    if row is None:
        raise _missing()
    head = Head(etag=row[0], updated_at=_as_datetime(row[1]))
    if len(_MEMO) > 10_000:
        _MEMO.clear()
    _MEMO[key] = head
    return head


def document_get(*, kind: str, object_id: int = 0) -> Document:
    row = _fetch(_DOCUMENT_SQL, kind, object_id)
    if row is None:
        raise _missing()
    return Document(etag=row[0], updated_at=_as_datetime(row[1]), text=row[2])


_LISTING_HEAD_KEY = ("listing-head", LISTING_HEAD_ID)  # apart from `document_head`'s keys


def _listing_head(row: Sequence[Any]) -> ListingHead:
    return ListingHead(
        etag=row[1], updated_at=_as_datetime(row[2]), count=int(json.loads(row[3])["count"])
    )


def listing_head() -> ListingHead | None:
    """The list's head from this process's memo (see `document_head`), or None before the tick
    has written it."""
    _check_version()
    memo = _MEMO.get(_LISTING_HEAD_KEY)
    if isinstance(memo, ListingHead):
        return memo
    row = _fetch(_DOCUMENT_SQL, DocumentKind.LISTING, LISTING_HEAD_ID)
    if row is None:
        return None
    head = _listing_head((LISTING_HEAD_ID, *row))
    _MEMO[_LISTING_HEAD_KEY] = head
    return head


def listing_page(*, offset: int, limit: int) -> tuple[ListingHead, list[tuple[int, str]]]:
    """The list's head and the listing documents of one page (newest first) as (initiative id,
    text) rows: one statement, whatever the page size."""
    kind = DocumentKind.LISTING
    with connection.cursor() as cursor:
        cursor.execute(
            _LISTING_PAGE_SQL, [kind, LISTING_HEAD_ID, kind, LISTING_HEAD_ID, limit, offset]
        )
        found = sorted(cursor.fetchall(), key=lambda r: r[0], reverse=True)
        rows = [(r[0], r[3]) for r in found if r[0] != LISTING_HEAD_ID]
        if found and found[-1][0] == LISTING_HEAD_ID:
            return _listing_head(found[-1]), rows
        cursor.execute(_LISTING_COUNT_SQL, [kind, LISTING_HEAD_ID])
        (count,) = cursor.fetchone()
    # No head yet: validators that change with the page's content, and a date no later than now.
    text = f"{count}:" + "".join(r[1] for r in rows)
    etag = hashlib.sha256(text.encode()).hexdigest()[:32]
    return ListingHead(etag=etag, updated_at=timezone.now(), count=int(count)), rows


def home_section(request: HttpRequest) -> dict[str, Any] | None:
    return None  # the dashboard is linked from the navigation, not listed as "open now"


def personal_data_export(*, user: User) -> dict[str, Any]:
    return {}  # aggregates only: nothing here is about one person
