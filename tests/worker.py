"""A real Celery worker in a subprocess, for tests that must prove behaviour across processes.

It runs against this test process's database and the broker named by CELERY_BROKER_URL: Redis in CI,
or by default the file-system transport in the test profile's folder (settings.QUEUE_DIR), which the
worker and the test process share with no server. Each worker takes a queue of its own, so parallel
test processes never take each other's tasks. E-mail goes to files, one message per file, so a test
can count what really left. The worker takes both of its queues (config/queues.py).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from kombu.transport.filesystem import Channel as FileSystemChannel

from config.celery import app as celery_app
from config.queues import task_queues, worker_queues

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Worker:
    queue: str
    mail_dir: Path
    env: dict[str, str]
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, concurrency: int = 2) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                worker_queues(self.queue),  # its default queue and that queue's bulk queue
                "--concurrency",
                str(concurrency),
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"{uuid.uuid4().hex[:8]}@%h",
            ],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        """kill -9 the worker and its pool children at once."""
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()

    def message_ids(self) -> list[str]:
        ids = []
        for path in sorted(self.mail_dir.glob("*.log")):
            for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if chunk.strip():
                    ids.append(message_from_bytes(chunk.strip())["Message-ID"])
        return ids


def wait_until(
    predicate: Callable[[], bool], *, timeout: float = 60.0, interval: float = 0.2
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


@pytest.fixture
def real_worker(transactional_db, tmp_path) -> Iterator[Worker]:
    db = connection.settings_dict
    queue = f"test-{uuid.uuid4().hex[:12]}"
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = {
        **os.environ,
        "CIVIC_PROFILE": "test",
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CIVIC_QUEUE_DIR": str(settings.QUEUE_DIR),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
    }
    env.pop("PYTEST_VERSION", None)
    env.pop("PYTEST_XDIST_WORKER", None)
    if settings.CACHES["default"]["BACKEND"].endswith(".RedisCache"):
        # This test process's own Redis database (config/settings.py moves it on by the process's
        # number): without its number the worker would otherwise land in the first process's.
        env["CACHE_URL"] = settings.CACHES["default"]["LOCATION"]
    saved = (celery_app.conf.task_always_eager, celery_app.conf.task_default_queue)
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    worker = Worker(queue=queue, mail_dir=mail_dir, env=env)
    try:
        yield worker
    finally:
        worker.stop_all()
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = saved
        with celery_app.connection_for_write() as conn:
            # A fresh channel knows no binding, so its queue_delete does nothing on Redis: purge
            # the messages left (the last beat ticks' sweeps), then this test's unacked entries.
            for name in (declared.name for declared in task_queues(queue)):
                conn.default_channel.queue_purge(name)
                conn.default_channel.queue_delete(name)
                _forget_unacked(conn.default_channel, name)
                _forget_exchange_file(conn.default_channel, name)


def _forget_unacked(channel: Any, queue: str) -> None:
    """A killed worker's reserved messages stay in the broker's unacked set and would be restored
    to the deleted queue after the visibility timeout (an hour later, a list nobody reads): remove
    this test's, and only this test's, entries."""
    unacked_key = getattr(channel, "unacked_key", None)
    if unacked_key is None:  # not the Redis transport
        return
    client = channel.client
    for tag, raw in client.hscan_iter(unacked_key):
        try:
            _payload, _exchange, routing_key = json.loads(raw)
        except (ValueError, TypeError):
            continue
        if routing_key == queue:
            client.hdel(unacked_key, tag)
            client.zrem(channel.unacked_index_key, tag)


def _forget_exchange_file(channel: Any, queue: str) -> None:
    """The file-system transport keeps each exchange's bindings in a file of its control folder:
    remove this test's (its exchange is named after its queue), or the folder grows each run."""
    if isinstance(channel, FileSystemChannel):
        (Path(channel.control_folder) / f"{queue}.exchange").unlink(missing_ok=True)
