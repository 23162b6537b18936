"""The live server's threads (tests/live_server.py): a thread serves request after request on one
database session, a kept-alive connection is answered request after request, a second thread starts
only for a second connection at once, and closing the server ends the threads and their sessions,
those whose clients still hold their connections too."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.servers.basehttp import WSGIRequestHandler
from django.core.signals import request_finished, request_started
from django.db import connection

from tests.live_server import ThreadReusingWSGIServer

pytestmark = pytest.mark.django_db(transaction=True)


class QuietHandler(WSGIRequestHandler):
    nodelay: list[int] = []

    def handle(self) -> None:
        QuietHandler.nodelay.append(self.request.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        super().handle()

    def log_message(self, *args: Any) -> None:
        pass


def backend_of_this_thread(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Which thread answered, and on which PostgreSQL backend; `/hold` first waits for RELEASE.
    The request's start and end are signalled as Django's handler signals them: at both, a
    connection past its CONN_MAX_AGE is closed."""
    request_started.send(sender=None, environ=environ)
    if environ["PATH_INFO"] == "/hold":
        HELD.set()
        RELEASE.wait(timeout=10)
    connection.ensure_connection()
    body = f"{threading.get_ident()} {connection.connection.info.backend_pid}".encode()
    request_finished.send(sender=None)
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]


HELD = threading.Event()
RELEASE = threading.Event()


@pytest.fixture
def server() -> Iterator[ThreadReusingWSGIServer]:
    HELD.clear()
    RELEASE.clear()
    httpd = ThreadReusingWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    httpd.set_app(backend_of_this_thread)
    serving = threading.Thread(target=httpd.serve_forever, daemon=True)
    serving.start()
    yield httpd
    RELEASE.set()
    httpd.shutdown()
    httpd.server_close()


def ask(httpd: ThreadReusingWSGIServer, path: str = "/") -> tuple[int, int]:
    conn = http.client.HTTPConnection(*httpd.server_address, timeout=10)
    conn.request("GET", path)
    thread, backend = conn.getresponse().read().split()
    conn.close()
    return int(thread), int(backend)


def backends_alive(pids: set[int]) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE pid = ANY(%s)", [list(pids)])
        return {row[0] for row in cursor.fetchall()}


def eventually(condition: Any, seconds: float = 5) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def waiting(server: ThreadReusingWSGIServer, threads: int) -> bool:
    """Whether `threads` threads wait for a connection (a thread that has just answered counts
    itself as waiting only after it closed its client's socket, which the client does not wait
    for)."""
    return eventually(lambda: server._waiting >= threads)


def test_one_thread_serves_request_after_request_on_one_database_session(server):
    answers = set()
    for _ in range(5):
        answers.add(ask(server))
        assert waiting(server, 1)
    assert len(answers) == 1, answers
    assert len(server._serving) == 1


def test_a_second_connection_at_once_gets_a_second_thread_then_both_are_reused(server):
    held: list[tuple[int, int]] = []
    holder = threading.Thread(target=lambda: held.append(ask(server, "/hold")))
    holder.start()
    assert HELD.wait(timeout=10)
    meanwhile = ask(server)
    RELEASE.set()
    holder.join(timeout=10)
    assert held and held[0][0] != meanwhile[0] and held[0][1] != meanwhile[1]
    assert waiting(server, 2)
    later = set()
    for _ in range(4):
        later.add(ask(server))
        assert waiting(server, 2)
    assert later <= {held[0], meanwhile}, later
    assert len(server._serving) == 2


def test_a_kept_alive_connection_is_answered_request_after_request_by_its_thread(server):
    """A client that keeps its connection (a browser, the concurrency proofs' clients) sends its
    next request on it: the answer does not say `Connection: close` (Django's handler says it on a
    server it does not take for threaded), the same thread answers on the same socket, and the
    socket sends each piece of an answer at once (no 40 ms wait for the client's acknowledgement)."""
    QuietHandler.nodelay.clear()
    conn = http.client.HTTPConnection(*server.server_address, timeout=10)
    answers = set()
    for _ in range(3):
        conn.request("GET", "/")
        response = conn.getresponse()
        assert response.getheader("Connection") != "close"
        answers.add(response.read())
    conn.close()
    assert len(answers) == 1, answers
    assert len(server._serving) == 1
    assert QuietHandler.nodelay and all(QuietHandler.nodelay), QuietHandler.nodelay


def test_closing_the_server_ends_its_threads_and_their_database_sessions(server):
    _thread, backend = ask(server)
    assert backends_alive({backend}) == {backend}
    server.shutdown()
    server.server_close()
    assert all(not thread.is_alive() for thread in server._serving)
    assert eventually(lambda: backends_alive({backend}) == set())


def test_closing_the_server_ends_a_thread_whose_client_still_holds_its_connection(server):
    """A browser closed after the server keeps its connection open: the server reads it no further,
    so the thread ends within the close instead of waiting on the client."""
    conn = http.client.HTTPConnection(*server.server_address, timeout=10)
    conn.request("GET", "/")
    _thread, backend = map(int, conn.getresponse().read().split())
    server.shutdown()
    server.server_close()
    assert all(not thread.is_alive() for thread in server._serving)
    assert eventually(lambda: backends_alive({backend}) == set())
    conn.close()
