"""Reads of the published statistics: one indexed read per request, never a signature scan.

The body is read as text (`CAST(body AS text)`) and sent as is: no JSON decoding and re-encoding
on the request path. A conditional GET first reads only the validators, which each process also
remembers (see `_check_version`), so a 304 usually costs no query at all.

The paginated list reads its page and the list's head (total and validators, kept by the tick as
the `listing` document of object 0) in one statement: no `COUNT(*)` on the request path."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.errors import NotFound
from civic.models import User
from civic.perf import Memo
from dashboards import store
from dashboards.models import LISTING_HEAD_ID, DocumentKind


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
_HEADS: Memo[tuple[str, int], Head] = Memo(ttl=None, max_entries=10_000)
_VERSION: Memo[str, tuple[int | None]] = Memo(ttl=1.0, max_entries=1)  # re-read after a second
_SEEN_VERSION: list[int | None] = [None]  # the version `_HEADS` belongs to


def document_memo_forget() -> None:
    _HEADS.clear()
    _VERSION.clear()
    _SEEN_VERSION[0] = None


def _check_version() -> None:
    if _VERSION.get("version") is not None:
        return
    version = store.documents_version()
    if version != _SEEN_VERSION[0]:
        _HEADS.clear()
        _SEEN_VERSION[0] = version
    _VERSION.put("version", (version,))


def _missing() -> NotFound:
    return NotFound(_("Statistiques introuvables."), code="stats_not_found")


def document_head(*, kind: str, object_id: int = 0) -> Head:
    _check_version()
    key = (kind, object_id)
    memo = _HEADS.get(key)
    if memo is not None:
        return memo
    row = store.document_head_row(kind, object_id)
    if row is None:
        raise _missing()
    return _HEADS.put(key, Head(etag=row[0], updated_at=row[1]))


def document_get(*, kind: str, object_id: int = 0) -> Document:
    row = store.document_row(kind, object_id)
    if row is None:
        raise _missing()
    return Document(etag=row[0], updated_at=row[1], text=row[2])


_LISTING_HEAD_KEY = ("listing-head", LISTING_HEAD_ID)  # apart from `document_head`'s keys


def _listing_head(row: Sequence[Any]) -> ListingHead:
    return ListingHead(etag=row[1], updated_at=row[2], count=int(json.loads(row[3])["count"]))


def listing_head() -> ListingHead | None:
    """The list's head from this process's memo (see `document_head`), or None before the tick
    has written it."""
    _check_version()
    memo = _HEADS.get(_LISTING_HEAD_KEY)
    if isinstance(memo, ListingHead):
        return memo
    row = store.document_row(DocumentKind.LISTING, LISTING_HEAD_ID)
    if row is None:
        return None
    head = _listing_head((LISTING_HEAD_ID, *row))
    _HEADS.put(_LISTING_HEAD_KEY, head)
    return head


def listing_page(*, offset: int, limit: int) -> tuple[ListingHead, list[tuple[int, str]]]:
    """The list's head and the listing documents of one page (newest first) as (initiative id,
    text) rows: one statement, whatever the page size."""
    kind = DocumentKind.LISTING
    found = store.listing_page_rows(kind, LISTING_HEAD_ID, offset=offset, limit=limit)
    found.sort(key=lambda r: r[0], reverse=True)
    rows = [(r[0], r[3]) for r in found if r[0] != LISTING_HEAD_ID]
    if found and found[-1][0] == LISTING_HEAD_ID:
        return _listing_head(found[-1]), rows
    count = store.listing_count(kind, LISTING_HEAD_ID)
    # No head yet: validators that change with the page's content, and a date no later than now.
    text = f"{count}:" + "".join(r[1] for r in rows)
    etag = hashlib.sha256(text.encode()).hexdigest()[:32]
    return ListingHead(etag=etag, updated_at=timezone.now(), count=count), rows


def home_section(request: HttpRequest) -> dict[str, Any] | None:
    return None  # the dashboard is linked from the navigation, not listed as "open now"


def personal_data_export(*, user: User) -> dict[str, Any]:
    return {}  # aggregates only: nothing here is about one person
