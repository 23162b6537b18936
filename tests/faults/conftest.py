"""Fault-injection tests: a real Celery worker killed with SIGKILL mid-batch, Redis restarted mid-run.

They need PostgreSQL and Redis (CELERY_BROKER_URL=redis://...) and are opt-in (`FAULTS=1`), because
restarting Redis would disturb other tests sharing the server: .ci/run gives them a step of their own.
`FAULT_ROUNDS` sets the number of kills per test (10 in CI, 50 for a release check).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

REDIS_START = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "faults: kills workers and restarts Redis (opt-in with FAULTS=1)"
    )


def fault_rounds() -> int:
    return max(1, int(os.environ.get("FAULT_ROUNDS", "10")))


def redis_ping() -> bool:
    result = subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", "6379", "ping"],
        capture_output=True,
        text=True,
        check=False,
        timeout=5,
    )
    return result.stdout.strip() == "PONG"


def redis_start() -> None:
    Path("/var/lib/redis").mkdir(parents=True, exist_ok=True)
    Path("/var/log/redis").mkdir(parents=True, exist_ok=True)
    if not redis_ping():
        subprocess.run(REDIS_START, check=False, timeout=10)
    deadline = time.monotonic() + 15
    while not redis_ping():
        if time.monotonic() > deadline:
            raise RuntimeError("Redis did not come back")
        time.sleep(0.1)


class RedisOutage:
    """`with outage.down():` shuts Redis down (SHUTDOWN NOSAVE: every queued message is lost) and
    always brings it back on exit, whatever happened inside."""

    def __init__(self) -> None:
        self.seconds_down = 0.0

    def down(self) -> _Down:
        return _Down(self)


class _Down:
    def __init__(self, outage: RedisOutage) -> None:
        self.outage = outage
        self.started = 0.0

    def __enter__(self) -> None:
        self.started = time.monotonic()
        subprocess.run(
            ["redis-cli", "-h", "127.0.0.1", "-p", "6379", "SHUTDOWN", "NOSAVE"],
            capture_output=True,
            check=False,
            timeout=10,
        )
        deadline = time.monotonic() + 10
        while redis_ping() and time.monotonic() < deadline:
            time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        try:
            redis_start()
        finally:
            self.outage.seconds_down += time.monotonic() - self.started


@pytest.fixture
def faults_enabled() -> None:
    if os.environ.get("FAULTS") != "1":
        pytest.skip("fault injection is opt-in: FAULTS=1 (see .ci/run)")
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("needs CELERY_BROKER_URL=redis://...")


@pytest.fixture
def redis_outage(faults_enabled: None) -> Iterator[RedisOutage]:
    if shutil.which("redis-server") is None or not redis_ping():
        pytest.skip("needs a local Redis server on 127.0.0.1:6379 and redis-server")
    outage = RedisOutage()
    try:
        yield outage
    finally:
        redis_start()  # never leave Redis down


@pytest.fixture(autouse=True)
def shipped_instruments(request: pytest.FixtureRequest) -> None:
    """Transactional tests flush the database, data migrations included: re-seed (idempotent)."""
    if not request.node.get_closest_marker("django_db"):
        return
    import importlib

    from django.apps import apps

    migration = importlib.import_module("petitions.migrations.0002_shipped_instruments")
    migration.forwards(apps, None)


from tests.referendums.conftest import close_vote, open_vote  # noqa: E402, F401 - fixtures
