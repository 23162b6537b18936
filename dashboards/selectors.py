"""Reads of the published statistics: one indexed row per request, never a signature scan.

The body is read as text (`CAST(body AS text)`) and sent as is: no JSON decoding and re-encoding
on the request path. A conditional GET first reads only the validators, which each process also
remembers for one second, so a 304 usually costs no query at all."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast
from django.http import HttpRequest
from django.utils.translation import gettext as _

from civic.errors import NotFound
from civic.models import User
from dashboards.models import DocumentKind, StatsDocument


@dataclass(frozen=True)
class Head:
    etag: str
    updated_at: datetime


@dataclass(frozen=True)
class Document(Head):
    text: str


_MEMO: dict[tuple[str, int], tuple[float, Head]] = {}
_MEMO_SECONDS = 1.0


def document_memo_forget() -> None:
    _MEMO.clear()


def _missing() -> NotFound:
    return NotFound(_("Statistiques introuvables."), code="stats_not_found")


# The two reads of the request path as plain SQL: the ORM's compilation would cost more than the
# indexed read itself (the unique (kind, object_id) index answers both).
_TABLE = StatsDocument._meta.db_table
_HEAD_SQL = f"SELECT etag, updated_at FROM {_TABLE} WHERE kind = %s AND object_id = %s"  # noqa: S608
_DOCUMENT_SQL = (
    f"SELECT etag, updated_at, CAST(body AS text) FROM {_TABLE} "  # noqa: S608
    "WHERE kind = %s AND object_id = %s"
)


def _fetch(sql: str, kind: str, object_id: int) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql, [kind, object_id])
        return cursor.fetchone()


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return connection.ops.convert_datetimefield_value(value, None, connection)  # type: ignore[attr-defined]


def document_head(*, kind: str, object_id: int = 0) -> Head:
    key = (kind, object_id)
    memo = _MEMO.get(key)
    if memo is not None and memo[0] > time.monotonic():
        return memo[1]
    row = _fetch(_HEAD_SQL, kind, object_id)
    if row is None:
        raise _missing()
    head = Head(etag=row[0], updated_at=_as_datetime(row[1]))
    if len(_MEMO) > 10_000:
        _MEMO.clear()
    _MEMO[key] = (time.monotonic() + _MEMO_SECONDS, head)
    return head


def _with_text(query: QuerySet[StatsDocument]) -> Any:
    return query.annotate(text=Cast("body", TextField())).values_list("etag", "updated_at", "text")


def document_get(*, kind: str, object_id: int = 0) -> Document:
    row = _fetch(_DOCUMENT_SQL, kind, object_id)
    if row is None:
        raise _missing()
    return Document(etag=row[0], updated_at=_as_datetime(row[1]), text=row[2])


def initiative_documents() -> Any:
    """Every initiative's summary document, newest first, as (etag, updated_at, text) rows."""
    return _with_text(
        StatsDocument.objects.filter(kind=DocumentKind.INITIATIVE).order_by("-object_id")
    )


def home_section(request: HttpRequest) -> dict[str, Any] | None:
    return None  # the dashboard is linked from the navigation, not listed as "open now"


def personal_data_export(*, user: User) -> dict[str, Any]:
    return {}  # aggregates only: nothing here is about one person
