"""Rendered parts of a page that every visitor sees alike, kept by each web process.

A signed-in page cannot be shared whole (it holds the visitor's CSRF token, name and action), but
most of it is the same for everyone of one language: an initiative's text, counts, rungs and the
city's obligations. The page renders that part once, under a key made of what it shows (the
object's update stamp, the count version, the language, the date...), and reuses it for every
visitor, signed in or not, until the key changes or `PAGE_FRAGMENT_SECONDS` (one tick) pass.
Anything a visitor's own action can change is in the key, so nobody sees their change late; the
time limit bounds what is not (an administrator renaming a district).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import TypeVar

from django.conf import settings

T = TypeVar("T")

_MAX = 512
_KEPT: dict[Hashable, tuple[float, object]] = {}


def fragment(key: Hashable, build: Callable[[], T]) -> T:
    """The value kept under `key`, or `build()`'s, kept for `PAGE_FRAGMENT_SECONDS` (0: never)."""
    seconds = float(settings.PAGE_FRAGMENT_SECONDS)
    if seconds <= 0:
        return build()
    now = time.monotonic()
    entry = _KEPT.get(key)
    if entry is not None and entry[0] > now:
        return entry[1]  # type: ignore[return-value]
    value = build()
    if len(_KEPT) >= _MAX:
        _KEPT.clear()
    _KEPT[key] = (now + seconds, value)
    return value


def fragments_forget() -> None:
    """Drop this process's kept fragments (tests; nothing in production needs it)."""
    _KEPT.clear()
