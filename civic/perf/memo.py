"""One per-process memo for the request paths: a dict whose entries expire.

A web process remembers a few small reads (an open initiative's tracks, a published count, a
campaign's voting state, a statistics document's validators) for a short while instead of asking
the database on every request. A memo is never the authority: what it answers is re-checked by the
write's own guard, or is a public figure that may lag by at most its lifetime.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_EVERY: weakref.WeakSet[Memo[Any, Any]] = weakref.WeakSet()


class Memo(Generic[K, V]):
    """Entries live `ttl` seconds (for ever when `ttl` is None, until `forget` or `clear`); when
    `max_entries` are held, the next `put` starts from an empty memo (cheap, and a memo that fills
    up is one whose keys are mostly read once)."""

    def __init__(
        self,
        *,
        ttl: float | None,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[K, tuple[float, V]] = {}
        _EVERY.add(self)

    @staticmethod
    def clear_every() -> None:
        """Empty every memo of this process (tests: ids repeat between them)."""
        for memo in list(_EVERY):
            memo.clear()

    def get(self, key: K) -> V | None:
        """The value put under `key` if it has not expired, else None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if self.ttl is not None and entry[0] <= self._clock():
            return None
        return entry[1]

    def put(self, key: K, value: V) -> V:
        if len(self._entries) >= self.max_entries and key not in self._entries:
            self._entries.clear()
        expires = self._clock() + self.ttl if self.ttl is not None else 0.0
        self._entries[key] = (expires, value)
        return value

    def get_or_load(self, key: K, load: Callable[[], V | None]) -> V | None:
        """The memo's value, or `load()`'s, remembered (a None from `load` is not remembered)."""
        value = self.get(key)
        if value is None:
            value = load()
            if value is not None:
                self.put(key, value)
        return value

    def forget(self, key: K) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
