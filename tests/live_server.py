"""The live server's threads, kept from one request to the next with their database connections.

Django's test server (`ThreadedWSGIServer`) starts a thread for each connection and closes every
database connection when it ends, so each request to a live server opened a new PostgreSQL session:
a backend process forked, authenticated and warmed, then the prepared statements of the short paths
prepared again (civic/perf/prepare.py). That cost the server about 11 ms of CPU per request, 45
CPU-seconds of the 4,000 requests of the concurrent-signing proof alone (docs/testing.md), and no
city pays it: a deployed web process serves request after request on the same threads, each keeping
its connection (`DATABASE_CONN_MAX_AGE`).

Here a connection is served by a thread that is waiting for one, or by a new thread when none is;
a thread that has served a connection waits for the next, its database connection kept open. When
the server closes, every thread closes its database connections and ends: a waiting one at once, a
busy one once it has answered (a connection a client keeps open is read no further). The handler, the
request cycle and its signals are Django's own; only the `close_old_connections` of a request's end no
longer closes this thread's connection (it still closes one left unusable by an error).

Clients keep their connections open, as browsers and proxies do. The server is a `ThreadingMixIn`
(whose `process_request` it replaces) because Django's handler keeps a connection open only on a
server it takes for threaded: otherwise every answer said `Connection: close`, and every request
opened a connection and handed a thread a new socket. Each socket sends without Nagle's delay
(TCP_NODELAY), which otherwise held an answer's body up to 40 ms on a kept connection. The 4,000
requests of the concurrent-signing proof took 10.4 s instead of 31 s, on the same two cores.
"""

from __future__ import annotations

import contextlib
import queue
import socket
import socketserver
import threading
import time
from typing import Any

from django.core.servers.basehttp import WSGIServer
from django.db import connections

_STOP = None


class ThreadReusingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    def __init__(self, *args: Any, connections_override: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Django's sharing of the test thread's in-memory database, which PostgreSQL never needs:
        # refused rather than ignored.
        assert not connections_override, "the live server runs on PostgreSQL"
        self._jobs: queue.SimpleQueue[tuple[Any, Any] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._waiting = 0
        self._serving: list[threading.Thread] = []
        self._closing = False
        # The sockets being served: a client keeping its connection open holds its thread.
        self._open: set[Any] = set()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._lock:
            if self._waiting:
                self._waiting -= 1
                self._jobs.put((request, client_address))
                return
            thread = threading.Thread(
                target=self._serve, args=(request, client_address), daemon=True
            )
            self._serving.append(thread)
        thread.start()

    def _serve(self, request: Any, client_address: Any) -> None:
        # This thread's connection outlives a request (its own settings, not the shared dict).
        for connection in connections.all(initialized_only=False):
            connection.settings_dict = {**connection.settings_dict, "CONN_MAX_AGE": None}
        job: tuple[Any, Any] | None = (request, client_address)
        try:
            while job is not None:
                self._handle(*job)
                with self._lock:
                    if self._closing:
                        break
                    self._waiting += 1
                job = self._jobs.get()
        finally:
            connections.close_all()

    def _handle(self, request: Any, client_address: Any) -> None:
        """What socketserver.ThreadingMixIn's thread does with a connection."""
        with self._lock:
            self._open.add(request)
        # An answer is written in several pieces (status and headers, then the body): on a
        # connection kept open, Nagle's algorithm held the last piece until the client acknowledged
        # the first, which a client delays by up to 40 ms (a closed connection flushed it at once).
        with contextlib.suppress(OSError):
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            with self._lock:
                self._open.discard(request)
            self.shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        with self._lock:
            self._closing = True
            waiting, self._waiting = self._waiting, 0
            kept_open = list(self._open)
        for _ in range(waiting):
            self._jobs.put(_STOP)
        # A connection kept open by a client that is still there (a browser closed after the
        # server) is read no further: the request it is answering, if any, is answered, then its
        # thread reads the end of the stream and ends.
        for request in kept_open:
            with contextlib.suppress(OSError):
                request.shutdown(socket.SHUT_RD)
        # The waiting threads end at once; a busy one ends when its request is answered, after
        # which it takes no other connection and closes its session: not waited for past a few
        # seconds.
        deadline = time.monotonic() + 5
        for thread in self._serving:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
