"""Every write operation of the API, fired by parallel requests on the same object against the
running server (real threads, PostgreSQL, one connection per request thread): no server error.

The operations come from the OpenAPI schema, so a new endpoint is raced as soon as it exists. Each
is called as the authorisation matrix (tests/security/matrix.py, tests/<app>/authz_matrix.py)
says: a role that may succeed, its path parameters and body, so the requests reach the service
and its locks rather than stop at a permission check. An operation the matrix does not know yet is
raced by an administrator with an empty body (and the matrix's own test fails until it has a row).

Also: parallel first requests to /api/v1/schema/ in a fresh process.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.world import ROLES, World
from tests.e2e.world_snapshot import shared_world
from tests.security.matrix import NO_EFFECT, OK, all_tables
from tests.security.schema import operations


@dataclass
class LiveApiClient:
    """Requests to the live server, with the headers of one user."""

    base_url: str
    headers: dict[str, str] = field(default_factory=dict)

    def call(self, method: str, path: str, body: Any = None) -> int:
        url = urlsplit(self.base_url)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
        payload = json.dumps(body if body is not None else {}) if method != "GET" else None
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        try:
            conn.request(method, path, body=payload, headers={**headers, **self.headers})
            return conn.getresponse().status
        finally:
            conn.close()


def api_client(user: Any, base_url: str) -> LiveApiClient:
    """The one place this file authenticates: an API client acting as `user` (None: a visitor)."""
    from tests.factories import api_key_for

    client = LiveApiClient(base_url)
    if user is not None:
        client.headers["Authorization"] = f"Bearer {api_key_for(user)}"
    return client


TABLE, _problems = all_tables()
WRITES = [(m, p) for m, p in operations() if m in {"POST", "PUT", "PATCH", "DELETE"}]
PARALLEL = 8
# Staff and residents before visitors: the first role the matrix lets succeed is the one that
# races (the deepest path through the service).
PREFERENCE = (*ROLES[2:], *ROLES[:2])


@pytest.fixture(autouse=True)
def no_throttling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rate limits have their own tests; here every request must reach the service."""
    from civic.api.throttling import SlidingWindowThrottle

    monkeypatch.setattr(SlidingWindowThrottle, "allow_request", lambda self, request, view: True)


@pytest.fixture
def world(live_server: Any) -> World:
    """The seeded accounts, seeded once per process and put back before each test."""
    return shared_world(instruments=False)


def _racing_role(method: str, path: str) -> str:
    row = TABLE.get((method, path))
    if row is None:
        return "administrator"
    for wanted in (OK, NO_EFFECT):
        for role in PREFERENCE:
            if row.expect.get(role) == wanted:
                return role
    return "administrator"


def race(calls: list[Any]) -> list[int | str]:
    """Run the calls at once (released together by a barrier); each gives a status or an error."""
    from django.db import connection

    barrier = threading.Barrier(len(calls))
    outcomes: list[int | str] = ["did not finish"] * len(calls)

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=60)
            outcomes[i] = calls[i]()
        except Exception as exc:  # a dropped connection is a server failure too
            outcomes[i] = f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    return outcomes


def test_the_write_operations_are_found_in_the_schema():
    assert len(WRITES) >= 30, WRITES
    assert ("POST", "/api/v1/referendums/{id}/campaigners/") in WRITES


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("method", "path"), WRITES, ids=[f"{m} {p}" for m, p in WRITES])
def test_parallel_requests_on_one_object_never_give_a_server_error(
    world: World, live_server: Any, method: str, path: str
) -> None:
    row = TABLE.get((method, path))
    role = _racing_role(method, path)
    params = row.params(world) if row is not None else {}
    url = path.format_map(_Default(params))
    body = row.body(world, role) if row is not None and row.body else None
    clients = [api_client(world.user(role), live_server.url) for _ in range(PARALLEL)]
    outcomes = race([lambda c=c: c.call(method, url, body) for c in clients])
    failures = [o for o in outcomes if not isinstance(o, int) or o >= 500]
    assert not failures, f"{role} {method} {url} x{PARALLEL}: {outcomes}"


@pytest.mark.django_db(transaction=True)
def test_parallel_campaigner_posts_on_one_campaign_never_deadlock(world: World, live_server: Any):
    """Finding 17.13: authorising an organisation and setting its argument locked the campaign
    and the campaigner in opposite orders; two concurrent POSTs deadlocked (a 500) now and then."""
    from referendums.models import Campaigner
    from tests.referendums.authz_matrix import campaign

    draft = campaign(world, "draft")
    url = f"/api/v1/referendums/{draft.pk}/campaigners/"
    manager = world.user("campaign_manager")
    for round_ in range(5):
        body = {"name": f"Groupe {round_}", "side": "for", "argument_fr": "Texte"}
        clients = [api_client(manager, live_server.url) for _ in range(PARALLEL)]
        outcomes = race([lambda c=c, b=body: c.call("POST", url, b) for c in clients])
        assert outcomes == [201] * PARALLEL, outcomes
    assert Campaigner.objects.filter(campaign=draft).count() == 5


_SCHEMA_RACE = """
import os, threading, django
django.setup()
from django.test import Client
barrier = threading.Barrier({n})
statuses = []
def get():
    client = Client(raise_request_exception=False)
    barrier.wait()
    statuses.append(client.get("/api/v1/schema/", HTTP_HOST="localhost").status_code)
threads = [threading.Thread(target=get) for _ in range({n})]
[t.start() for t in threads]
[t.join() for t in threads]
print(sorted(statuses))
"""


@pytest.mark.long
@pytest.mark.parametrize("attempt", range(3))
def test_parallel_first_requests_to_the_schema_in_a_fresh_process_all_succeed(attempt: int):
    """Finding 17.13: drf-spectacular loads its extensions lazily; concurrent first builds of the
    schema in a new process crashed (AttributeError, a 500)."""
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    done = subprocess.run(
        [sys.executable, "-c", _SCHEMA_RACE.format(n=PARALLEL)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == str([200] * PARALLEL), done.stderr[-2000:]


class _Default(dict):  # type: ignore[type-arg]
    """Path parameters of an operation the matrix does not know yet: any id will do."""

    def __missing__(self, key: str) -> str:
        return "1"
