"""The published counts of an initiative, as the count API and the pages show them, and their version.

The fold publishes the counts once a tick (services/counting.py). When it commits, it forgets the
cached counts of the initiatives it touched and sets a new *count version*: a random token in the
shared cache, one for every initiative. Whatever shows a count can key itself on the version (one
cache read): the initiative page's remembered copy and its public part (petitions/views/detail.py)
change as soon as the fold publishes, in every web process, instead of a second or two later.

A cached count carries the version it was read under. A reader that raced the fold (read the rows
before it committed, cached them after) leaves a count tagged with the old version, which the next
reader ignores: a stale count can no longer outlive the fold that replaced it.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from civic.errors import NotFound
from petitions import store
from petitions.models import TOTAL_TRACK

VERSION_KEY = "petitions:count-version"


@dataclass(frozen=True)
class PublishedCount:
    total: int
    tracks: dict[int, int]
    updated_at: datetime


def count_cache_key(initiative_id: int) -> str:
    return f"petitions:count:{initiative_id}"


# A cached count lives at most two ticks (a safety net: the version already retires it).
COUNT_CACHE_SECONDS = 2 * int(settings.CIVIC_TICK_SECONDS)


# Each web process also remembers a count: for one second when the reader does not name a version
# (the count API: its most read endpoint then costs no network round trip at all), for as long as
# the version stands when it does (a page, which reads the version anyway).
_MEMO: dict[int, tuple[float, str, PublishedCount]] = {}
_MEMO_SECONDS = 1.0
_MEMO_MAX = 10_000


def count_memo_forget(initiative_ids: list[int] | None = None) -> None:
    if initiative_ids is None:
        _MEMO.clear()
        _VERSION_MEMO.clear()
    for initiative_id in initiative_ids or []:
        _MEMO.pop(initiative_id, None)


# Each web process also remembers the version itself for `COUNT_VERSION_MEMO_MS` (a tenth of a
# second): a page view, 304s included, then reads no cache at all, and a new version shows in
# every process at most that long after the fold set it (at once in the process that set it).
_VERSION_MEMO: list[tuple[float, str]] = []


def count_version() -> str:
    """The current count version (one cache read, or none within `COUNT_VERSION_MEMO_MS` of the
    last). A cache that lost it (a restart, an eviction) gets a fresh random one, so that nothing
    remembered under an old version matches again."""
    now = time.monotonic()
    seconds = settings.COUNT_VERSION_MEMO_MS / 1000
    if seconds > 0 and _VERSION_MEMO and _VERSION_MEMO[0][0] > now:
        return _VERSION_MEMO[0][1]
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, secrets.token_hex(8), None)
        version = cache.get(VERSION_KEY) or "none"
    if seconds > 0:
        _VERSION_MEMO[:] = [(now + seconds, str(version))]
    return str(version)


def count_version_bump() -> None:
    """Say that published counts (or what a page shows beside them) changed: called by the fold,
    the rung crossings and the obligations once their transaction commits."""
    cache.set(VERSION_KEY, secrets.token_hex(8), None)
    _VERSION_MEMO.clear()


def initiative_count(*, initiative_id: int, version: str | None = None) -> PublishedCount:
    """The published counts: from this process's memo, the shared cache, or one indexed read of
    the rows (they exist only for published initiatives). Never a COUNT(*) of signatures.

    `version` (a page's `count_version()`): the memo answers only under that version, so the
    count changes the moment the fold publishes. Without it, the memo answers for one second."""
    now = time.monotonic()
    memo = _MEMO.get(initiative_id)
    if memo is not None:
        stored_at, memo_version, count = memo
        if version is None and now - stored_at < _MEMO_SECONDS:
            return count
        if version == memo_version and now - stored_at < COUNT_CACHE_SECONDS:
            return count
    key = count_cache_key(initiative_id)
    found = cache.get_many([VERSION_KEY, key])
    current = found.get(VERSION_KEY)
    cached = found.get(key)
    if current is not None and isinstance(cached, tuple) and len(cached) == 4:
        total, tracks, updated_at, tag = cached
        if tag == current:
            return _remember(initiative_id, str(current), PublishedCount(total, tracks, updated_at))
    current = str(current) if current is not None else count_version()
    rows = store.published_count_rows(initiative_id)
    if not rows:
        raise NotFound(_("Initiative introuvable."), code="initiative_not_found")
    tracks = {t: c for t, c, _u in rows if t != TOTAL_TRACK}
    total = next((c for t, c, _u in rows if t == TOTAL_TRACK), 0)
    result = PublishedCount(total, tracks, max(u for _t, _c, u in rows))
    cache.set(key, (result.total, result.tracks, result.updated_at, current), COUNT_CACHE_SECONDS)
    return _remember(initiative_id, current, result)


def _remember(initiative_id: int, version: str, count: PublishedCount) -> PublishedCount:
    if len(_MEMO) >= _MEMO_MAX:
        _MEMO.clear()
    _MEMO[initiative_id] = (time.monotonic(), version, count)
    return count
