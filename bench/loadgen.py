"""The one HTTP load generator of the benchmarks (bench/harness.py) and the load test
(tools/loadtest.py): client processes, each with threads holding keep-alive connections to a
server on loopback, cycling through a list of requests until a deadline (or a request budget).

Every answer comes back as (request index, status, milliseconds): the caller knows what each of
its requests was for. A dropped connection is status 599 (a server error) and the thread
reconnects. Only loopback servers are driven; every loop ends by its deadline.
"""

from __future__ import annotations

import http.client
import multiprocessing as mp
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

DROPPED = 599  # a dropped connection counts as a server error

Answer = tuple[int, int, float]  # index of the request in its process's list, status, ms


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()


class _Cycle:
    """The next request index of one process, shared by its threads."""

    def __init__(self, max_requests: int | None) -> None:
        self.lock = threading.Lock()
        self.sent = 0
        self.max_requests = max_requests

    def next(self) -> int | None:
        with self.lock:
            if self.max_requests is not None and self.sent >= self.max_requests:
                return None
            self.sent += 1
            return self.sent - 1


def _send(conn: http.client.HTTPConnection, request: Request) -> int:
    conn.request(request.method, request.path, body=request.body, headers=dict(request.headers))
    response = conn.getresponse()
    response.read()
    return response.status


def _client_thread(
    host: str,
    port: int,
    requests: Sequence[Request],
    cycle: _Cycle,
    stop_at: float,
    out: list[Answer],
) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    local: list[Answer] = []
    while time.monotonic() < stop_at:
        n = cycle.next()
        if n is None:
            break
        index = n % len(requests)
        start = time.perf_counter()
        try:
            status = _send(conn, requests[index])
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=30)
            status = DROPPED
        local.append((index, status, (time.perf_counter() - start) * 1000))
    conn.close()
    with cycle.lock:
        out.extend(local)


def _client_process(
    host: str,
    port: int,
    requests: Sequence[Request],
    threads: int,
    stop_at: float,
    max_requests: int | None,
    queue: Any,
) -> None:
    cycle = _Cycle(max_requests)
    answers: list[Answer] = []
    pool = [
        threading.Thread(
            target=_client_thread, args=(host, port, requests, cycle, stop_at, answers)
        )
        for _ in range(threads)
    ]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    queue.put(answers)


def drive(
    base_url: str,
    requests_per_process: Sequence[Sequence[Request]],
    *,
    threads: int,
    seconds: float,
    max_requests: int | None = None,
) -> tuple[list[list[Answer]], float]:
    """Send each list's requests (cycled) from its own OS process with `threads` keep-alive
    connections, for `seconds` (or until the process sent `max_requests`). Returns each
    process's answers, in the order of the lists, and the wall time."""
    host, port = base_url.removeprefix("http://").split(":")
    ctx = mp.get_context("fork")
    queues = [ctx.Queue() for _ in requests_per_process]
    start = time.monotonic()
    procs = [
        ctx.Process(
            target=_client_process,
            args=(host, int(port), reqs, threads, start + seconds, max_requests, queue),
        )
        for reqs, queue in zip(requests_per_process, queues, strict=True)
    ]
    for p in procs:
        p.start()
    answers = [queue.get(timeout=seconds + 120) for queue in queues]
    for p in procs:
        p.join(timeout=30)
    return answers, time.monotonic() - start
