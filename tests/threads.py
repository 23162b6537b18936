"""Calls raced on real threads against PostgreSQL, each thread on its own database session.

A thread runs its share of the calls back to back on one connection and closes it when its share
is done, as a web server's thread keeps its own: one PostgreSQL session per thread, not one per
call (a connection closed after each of the 1,000 signers' calls forked, authenticated and warmed
1,000 backends). All threads are released at once by a barrier, so the first calls race.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection

# PostgreSQL allows 100 connections (shared with other test runs): at most 32 threads.
MAX_THREADS = 32


def concurrently(n: int, target: Callable[[int], Any], threads: int = MAX_THREADS) -> list[Any]:
    """`target(i)` for each i in range(n), on min(n, threads) threads: thread t makes the calls
    t, t + threads, t + 2 * threads... The outcomes in the calls' order; an exception a call
    raises is its outcome (see `answered`)."""
    threads_count = min(n, threads)
    barrier = threading.Barrier(threads_count)
    outcomes: list[Any] = [None] * n

    def worker(t: int) -> None:
        try:
            barrier.wait()
            for i in range(t, n, threads_count):
                try:
                    outcomes[i] = target(i)
                except Exception as exc:
                    outcomes[i] = exc
        finally:
            connection.close()

    workers = [threading.Thread(target=worker, args=(t,)) for t in range(threads_count)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return outcomes


def answered(outcomes: list[Any]) -> list[Any]:
    """The outcomes of calls that must all answer: the first exception among them is raised."""
    for outcome in outcomes:
        if isinstance(outcome, Exception):
            raise outcome
    return outcomes
