"""The sweeps' enqueue-once marker.

A sweep re-enqueues from the database what is due; without a
marker it enqueues every due id again at every tick, and when the worker is behind (after a crash, a
broker outage, a burst) the queue fills with copies faster than it drains: each copy is a no-op
(the services' guarded updates act once) but the FIFO makes every new task wait behind all of them.
With the marker a due id has at most one copy waiting: the sweep adds it (SET NX with an expiry) before
enqueueing, the task removes it as it starts, so a task killed mid-way is enqueued again by the next
sweep, and a message lost while still queued (a killed worker's reserved messages wait in the broker's
unacked set for the visibility timeout) is enqueued again once the marker expires.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)

# Longer than a sweep period (30 s to 120 s) and than the queue wait of a loaded worker, short
# beside the broker's visibility timeout (3,600 s): a lost queued message is retried within it.
ENQUEUE_MARK_SECONDS = 600


def enqueue_mark_key(task_name: str, object_id: int) -> str:
    return f"enqueued:{task_name}:{object_id}"


def _shared_cache() -> Any:
    """The cache if every process sees the same one; a per-process cache (locmem, dummy) cannot
    tell a sweep what another process queued, so the marker is not used at all."""
    from django.core.cache import caches
    from django.core.cache.backends.dummy import DummyCache
    from django.core.cache.backends.locmem import LocMemCache

    cache = caches["default"]
    return None if isinstance(cache, LocMemCache | DummyCache) else cache


def enqueue_once(task: Any, object_id: int) -> bool:
    """`task.delay(object_id)` unless a copy is already waiting. Returns True if it enqueued.
    The marker only saves work: the task stays idempotent, and without a usable cache every call
    enqueues."""
    cache = _shared_cache()
    key = enqueue_mark_key(task.name, object_id)
    fresh = True
    if cache is not None:
        try:
            fresh = bool(cache.add(key, 1, timeout=ENQUEUE_MARK_SECONDS))
        except Exception as exc:  # the cache is down: enqueue, the task is idempotent
            logger.warning("enqueue marker unavailable (%s): enqueuing", type(exc).__name__)
            cache = None
    if not fresh:
        return False
    try:
        task.delay(object_id)
    except Exception:
        # Not queued after all: let the next sweep try again rather than wait for the expiry.
        enqueue_mark_clear(task.name, object_id)
        raise
    return True


def enqueue_mark_clear(task_name: str, object_id: int) -> None:
    """Called by the task as it starts: no copy is waiting any more, the next sweep may enqueue
    the id again if it is still due (the task failed or was killed)."""
    cache = _shared_cache()
    if cache is None:
        return
    try:
        cache.delete(enqueue_mark_key(task_name, object_id))
    except Exception as exc:  # the marker then expires on its own
        logger.warning("enqueue marker not cleared (%s)", type(exc).__name__)
