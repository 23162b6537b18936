"""Shared set-up of the page benchmarks (W11-W13): the demo city's pages plus bulk residents
signed in (a session row each, as after a login), the pages' URLs, the count a page shows, and a
stateful HTTP client for what a browser does with a form (a cookie jar, the CSRF token read from the
page, the redirect followed).

wrk replays fixed requests, which fits page views (W11); a form signature needs the answer of one
request to build the next, so W12 and W13 drive flows from Python threads in several processes
(bench/loadgen.py's shape: keep-alive connections, a deadline, every answer timed).
"""

from __future__ import annotations

import html
import http.client
import multiprocessing as mp
import os
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from harness import PY, ROOT, bench_env, run_manage
from petitions_common import fresh, make_initiatives, make_residents

DB_NAME = os.environ.get("PAGES_BENCH_DB", "civic_pages")


@dataclass(frozen=True)
class City:
    url: str
    tokens: list[str]  # API tokens of the bulk residents, in order
    sessions: list[str]  # their session keys, in the same order
    initiatives: list[int]  # collecting initiatives every bulk resident may sign
    pages: dict[str, str]  # name -> path of the public pages of W11


def seed_city(residents: int, initiatives: int = 50) -> City:
    """A fresh database: the demo city (its initiatives, its votes, one with published results),
    `residents` verified residents with API tokens and sessions, `initiatives` collecting
    initiatives they may sign."""
    url = fresh(DB_NAME)
    run_manage(url, "seed_demo", "--entries", "400", "--residents", "120")
    pages = public_pages()  # before the bulk initiatives: the page shown is a demo one
    tokens = make_residents(residents)
    ids = make_initiatives(initiatives)
    sessions = make_sessions(prefix="b")
    return City(url, tokens, sessions, ids, pages)


def make_sessions(*, prefix: str) -> list[str]:
    """A session for each bulk resident (emails `<prefix><n>@bench.invalid`), holding what
    django.contrib.auth.login stores (the user, the backend, the password's session hash), where
    a login leaves it: in the database and, under the site's `cached_db` engine, in the shared
    cache too (the login's `save` writes both), so a resident's first request reads it from the
    cache as after a real login, not from PostgreSQL."""
    from django.conf import settings
    from django.contrib.sessions.backends.cached_db import KEY_PREFIX
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.core.cache import caches
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from civic.models import User

    users = sorted(
        User.objects.filter(email__endswith="@bench.invalid", email__startswith=prefix),
        key=lambda u: int(u.email[len(prefix) : u.email.index("@")]),
    )
    store = SessionStore()
    expires = timezone.now() + timedelta(days=1)
    rows = [
        Session(
            session_key=get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789"),
            session_data=store.encode(
                {
                    "_auth_user_id": str(u.pk),
                    "_auth_user_backend": "civic.auth_backend.ModelBackend",
                    "_auth_user_hash": u.get_session_auth_hash(),
                }
            ),
            expire_date=expires,
        )
        for u in users
    ]
    Session.objects.bulk_create(rows, batch_size=5000)
    if settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db":
        cache = caches[settings.SESSION_CACHE_ALIAS]
        age = int((expires - timezone.now()).total_seconds())
        for start in range(0, len(rows), 5000):
            cache.set_many(
                {
                    KEY_PREFIX + r.session_key: store.decode(r.session_data)
                    for r in rows[start : start + 5000]
                },
                age,
            )
    return [r.session_key for r in rows]


def public_pages() -> dict[str, str]:
    """The anonymous pages of W11: home, the lists, one demo initiative, the vote with published
    results and its results page, the dashboard."""
    from petitions.models import Initiative
    from referendums.models import Campaign

    shown = Initiative.objects.filter(status="collecting").order_by("pk").first()
    assert shown is not None, "the petitions demo has no collecting initiative"
    published = Campaign.objects.get(subject_key="demo-parc")
    return {
        "home": "/",
        "initiatives": "/initiatives/",
        "initiative": f"/initiatives/{shown.pk}/",
        "referendums": "/referendums/",
        "referendum": f"/referendums/{published.pk}/",
        "results": f"/referendums/{published.pk}/results/",
        "dashboard": "/tableau-de-bord/",
    }


_TOTAL = re.compile(r"([\d\u202f\u00a0 .,]+?)\s*signatures? (?:au total|in total)")
_PROGRESS = re.compile(r'<progress[^>]*value="(\d+)"')


def count_shown(body: str) -> int | None:
    """The total count an initiative's page shows (the "N signatures au total" line, else the
    first progress bar), or None when the page shows none."""
    match = _TOTAL.search(body) or _PROGRESS.search(body)
    if match is None:
        return None
    digits = re.sub(r"\D", "", match.group(1))
    return int(digits) if digits else None


# --- A browser's form, from a thread ----------------------------------------------------------

_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser:
    """One keep-alive connection and a cookie jar: enough of a browser for a form."""

    def __init__(self, host: str, port: int, cookies: dict[str, str] | None = None) -> None:
        self.host, self.port = host, port
        self.conn = http.client.HTTPConnection(host, port, timeout=30)
        self.cookies = dict(cookies or {})

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], str]:
        """Status, headers (lower-case names), body; a dropped connection is status 599."""
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.conn.request(method, path, body=body, headers=sent)
            response = self.conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            return 599, {}, ""
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _eq, rest = value.partition("=")
            cookie = rest.split(";", 1)[0]
            if "expires=Thu, 01 Jan 1970" in value or "Max-Age=0" in value:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = cookie
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text

    def close(self) -> None:
        self.conn.close()


Record = tuple[str, int, float, float, int | None]  # kind, status, start (monotonic), ms, count


def sign_with_form(browser: Browser, initiative_id: int, out: list[Record]) -> bool:
    """A signed-in resident opens the initiative's page, posts its signing form with the CSRF
    token the page carries, and follows the redirect back to the page. True if all three
    answered as a browser expects (200, a redirect to the page, 200)."""
    page = f"/initiatives/{initiative_id}/"
    t = time.monotonic()
    status, _h, body = browser.request("GET", page)
    out.append(("form_page", status, t, (time.monotonic() - t) * 1000, None))
    token = _CSRF_INPUT.search(body)
    if status != 200 or token is None:
        return False
    form = urlencode({"csrfmiddlewaretoken": html.unescape(token.group(1))}).encode()
    t = time.monotonic()
    status, headers, _b = browser.request(
        "POST",
        f"/initiatives/{initiative_id}/sign/",
        form,
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    out.append(("form_post", status, t, (time.monotonic() - t) * 1000, None))
    location = headers.get("location", "")
    if status != 302 or not location.split("?")[0].endswith(page):  # e.g. off to the login page
        return False
    t = time.monotonic()
    status, _h, body = browser.request("GET", location)
    out.append(("form_redirect", status, t, (time.monotonic() - t) * 1000, count_shown(body)))
    return status == 200


@dataclass
class _Share:
    """The items of one client process, handed to its threads in order."""

    items: Sequence[Any]
    lock: threading.Lock = field(default_factory=threading.Lock)
    next: int = 0

    def take(self) -> Any | None:
        with self.lock:
            if self.next >= len(self.items):
                return None
            self.next += 1
            return self.items[self.next - 1]


Flow = Callable[[str, int, Any, list[Record], dict[str, Any]], None]


def _flow_process(
    host: str, port: int, items: Sequence[Any], flow: Flow, threads: int, stop_at: float, queue: Any
) -> None:
    share = _Share(items)
    records: list[Record] = []
    lock = threading.Lock()

    def run() -> None:
        local: list[Record] = []
        state: dict[str, Any] = {}
        while time.monotonic() < stop_at:
            item = share.take()
            if item is None:
                break
            flow(host, port, item, local, state)
        for browser in state.values():
            if isinstance(browser, Browser):
                browser.close()
        with lock:
            records.extend(local)

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    queue.put(records)


def drive_flows(
    base_url: str,
    items_per_process: Sequence[Sequence[Any]],
    flow: Flow,
    *,
    threads: int,
    seconds: float,
) -> tuple[list[Record], float]:
    """Each process's threads take its items in order and run `flow(host, port, item, out, state)`
    on each until the deadline (`state` is the thread's own, e.g. a reused connection). Returns
    every record and the wall time."""
    host, port = base_url.removeprefix("http://").split(":")
    ctx = mp.get_context("fork")
    queues = [ctx.Queue() for _ in items_per_process]
    start = time.monotonic()
    procs = [
        ctx.Process(
            target=_flow_process,
            args=(host, int(port), items, flow, threads, start + seconds, queue),
        )
        for items, queue in zip(items_per_process, queues, strict=True)
    ]
    for p in procs:
        p.start()
    records = [r for queue in queues for r in queue.get(timeout=seconds + 120)]
    for p in procs:
        p.join(timeout=30)
    return records, time.monotonic() - start


def percentile(values: Sequence[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


# --- Celery: the tick behind the counts ------------------------------------------------------


@contextmanager
def worker_and_beat(
    database_url: str, queue: str, *, workers: int = 1, bulk_workers: int = 1, **extra: str
) -> Iterator[None]:
    """`workers` Celery workers on a private queue (the count tick among its jobs), `bulk_workers`
    on its bulk queue (config/queues.py: notifications, scans...), as deployed
    (docker-compose.yml's `worker` and `worker-bulk`), and the beat sending to them; all stopped
    afterwards. With `bulk_workers=0` each worker takes both queues, as a lone worker does."""
    from config.queues import bulk_queue, worker_queues

    env = bench_env(database_url, CELERY_TASK_DEFAULT_QUEUE=queue, **extra)
    schedule = Path(tempfile.mkdtemp(prefix="civic-pages-")) / "beat"
    common = ["--loglevel", "WARNING"]
    queues = [queue if bulk_workers else worker_queues(queue)] * workers
    queues += [bulk_queue(queue)] * bulk_workers
    procs = [
        subprocess.Popen(
            [
                PY,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                consumed,
                "--concurrency",
                "1",
                "-n",
                f"{queue}-{n}@%h",
                "--without-gossip",
                "--without-mingle",
                *common,
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,  # the banner; warnings and errors go to stderr
        )
        for n, consumed in enumerate(queues)
    ]
    procs.insert(
        0,
        subprocess.Popen(
            [PY, "-m", "celery", "-A", "config", "beat", "-s", str(schedule), *common],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,  # the banner; warnings and errors go to stderr
        ),
    )
    try:
        yield
    finally:
        for proc in procs:  # the beat first: nothing new is sent to workers being stopped
            stop(proc)


def stop(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
