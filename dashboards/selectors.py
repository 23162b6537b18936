"""Reads of the published statistics: one indexed row per request, never a signature scan.

The body is read as text (`CAST(body AS text)`) and sent as is: no JSON decoding and re-encoding
on the request path. A conditional GET first reads only the validators, which each process also
remembers (see `_check_version`), so a 304 usually costs no query at all."""

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
from dashboards.models import DocumentKind, FoldState, StatsDocument


@dataclass(frozen=True)
class Head:
    etag: str
    updated_at: datetime


@dataclass(frozen=True)
class Document(Head):
    text: str


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


# The two reads of the request path as plain SQL: the ORM's compilation would cost more than the
# indexed read itself (the unique (kind, object_id) index answers both).
_TABLE = StatsDocument._meta.db_table
_VERSION_SQL = f"SELECT documents_version FROM {FoldState._meta.db_table} WHERE id = 1"  # noqa: S608
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


def _with_text(query: QuerySet[StatsDocument]) -> Any:
    return query.annotate(text=Cast("body", TextField())).values_list("etag", "updated_at", "text")


def document_get(*, kind: str, object_id: int = 0) -> Document:
    row = _fetch(_DOCUMENT_SQL, kind, object_id)
    if row is None:
        raise _missing()
    return Document(etag=row[0], updated_at=_as_datetime(row[1]), text=row[2])


def initiative_documents() -> Any:
    """Every initiative's listing document (a short summary), newest first, as
    (etag, updated_at, text) rows."""
    return _with_text(
        StatsDocument.objects.filter(kind=DocumentKind.LISTING).order_by("-object_id")
    )


def home_section(request: HttpRequest) -> dict[str, Any] | None:
    return None  # the dashboard is linked from the navigation, not listed as "open now"


def personal_data_export(*, user: User) -> dict[str, Any]:
    return {}  # aggregates only: nothing here is about one person
