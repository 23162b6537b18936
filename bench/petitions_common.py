"""Shared set-up of the petitions benchmarks: Django in-process on a fresh database, bulk creation
of residents (with API tokens) and of collecting initiatives, pgbench as the raw INSERT baseline,
and a paced HTTP load for latency at a given rate."""

from __future__ import annotations

import http.client
import multiprocessing as mp
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from harness import ROOT, Request, bench_env, fresh_database, run_manage, run_threads

DB_NAME = os.environ.get("PETITIONS_BENCH_DB", "civic_petitions")


def django_on(database_url: str) -> None:
    """Configure this process's Django on `database_url` (before anything imports settings)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.update(bench_env(database_url))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def fresh(name: str = DB_NAME) -> str:
    # Migrate without the system checks: they import every app's URLs, and this benchmark should
    # not depend on another app's work in progress.
    url = fresh_database(name, migrate=False)
    run_manage(url, "migrate", "--no-input", "-v0", "--skip-checks")
    django_on(url)
    return url


def close_connections() -> None:
    from django.db import connections

    connections.close_all()


def make_residents(n: int, *, prefix: str = "b") -> list[str]:
    """`n` verified electors with API tokens; returns the tokens in order."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from civic.identity import identity_hash
    from civic.models import District, EntryKind, RegisterEntry, User, VerificationMethod
    from civic.services.tokens import api_tokens_issue_bulk

    district, _c = District.objects.get_or_create(code="bench", defaults={"name": "Banc d'essai"})
    birth = date(1980, 1, 1)
    entries = RegisterEntry.objects.bulk_create(
        (
            RegisterEntry(
                ref=f"{prefix}-{i:08d}",
                kind=EntryKind.ELECTOR,
                last_name=f"Nom{prefix}{i}",
                first_names="Prénom",
                birth_date=birth,
                address="1 rue",
                district=district,
                roll_number=f"{prefix}R{i:08d}",
                identity_hash=identity_hash(
                    last_name=f"Nom{prefix}{i}", first_names="Prénom", birth_date=birth
                ),
            )
            for i in range(n)
        ),
        batch_size=5000,
    )
    password = make_password(None)
    now = timezone.now()
    users = User.objects.bulk_create(
        (
            User(
                email=f"{prefix}{i}@bench.invalid",
                password=password,
                register_entry=entry,
                verified_at=now,
                verification_method=VerificationMethod.MATCH,
            )
            for i, entry in enumerate(entries)
        ),
        batch_size=5000,
    )
    issued = api_tokens_issue_bulk(users)
    return [issued[u.pk] for u in users]


def make_initiatives(
    n: int, *, slugs: Sequence[str] = ("interpellation-charte",), days: int = 30
) -> list[int]:
    """`n` collecting initiatives with thresholds resolved and published counts at zero."""
    from django.utils import timezone

    from civic.models import User
    from petitions.models import (
        TOTAL_TRACK,
        Initiative,
        InitiativeCount,
        InitiativeTrack,
        InstrumentType,
        TrackRung,
    )

    initiator = User.objects.filter(register_entry__isnull=False).first()
    assert initiator is not None, "create residents first"
    now = timezone.now()
    types = [InstrumentType.objects.prefetch_related("rungs").get(slug=s) for s in slugs]
    initiatives = Initiative.objects.bulk_create(
        (
            Initiative(
                title=f"Initiative {i}",
                summary="Banc d'essai.",
                body="Texte.",
                initiator=initiator,
                status="collecting",
                created_at=now,
                updated_at=now,
                submitted_at=now,
                published_at=now,
                closes_at=now + timedelta(days=days),
            )
            for i in range(n)
        ),
        batch_size=5000,
    )
    tracks = InitiativeTrack.objects.bulk_create(
        (
            InitiativeTrack(
                initiative=ini,
                instrument_type=t,
                position=p,
                predicate=t.predicate,
                population_at_open=1000,
            )
            for ini in initiatives
            for p, t in enumerate(types)
        ),
        batch_size=5000,
    )
    TrackRung.objects.bulk_create(
        (
            TrackRung.of_rung(track, rung, threshold=rung.absolute_value or 100)
            for track in tracks
            for rung in track.instrument_type.rungs.all()
        ),
        batch_size=5000,
    )
    InitiativeCount.objects.bulk_create(
        (
            InitiativeCount(initiative=ini, track=p, count=0, updated_at=now)
            for ini in initiatives
            for p in [TOTAL_TRACK, *range(len(types))]
        ),
        batch_size=5000,
    )
    return [i.pk for i in initiatives]


def analyze() -> None:
    """Fresh bulk-loaded tables have no statistics: give the planner what production would have."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


SIGN_SQL = """
INSERT INTO petitions_signature (initiative_id, register_entry_id, identity_hash, channel, created_at,
  track_mask, facts, district_id, quarter_key, entered_by_id)
SELECT %s, %s, %s, 'online', now(), 1, '{"resident_16": true}', %s, NULL, NULL
WHERE EXISTS (SELECT 1 FROM petitions_initiative WHERE id = %s AND status = 'collecting' AND closes_at > now())
RETURNING id
"""
SLOT_SQL = """
INSERT INTO petitions_signaturecountslot (initiative_id, mask, slot, delta) VALUES (%s, 1, %s, 1)
ON CONFLICT (initiative_id, mask, slot) DO UPDATE SET delta = petitions_signaturecountslot.delta + excluded.delta
"""


def signing_statements_tps(
    url: str,
    initiatives: Sequence[int],
    entries: Sequence[tuple[int, str, int]],
    clients: int,
    seconds: float,
    *,
    naive: bool = False,
) -> float:
    """The signing transaction below HTTP (the signature, then its count slot, or with `naive` an
    UPDATE of the initiative row) from `clients` connections, cycling over `initiatives`, one
    entry per transaction: transactions per second."""
    import psycopg

    cursor = [0]
    lock = threading.Lock()
    done = [0] * clients
    stop = time.monotonic() + seconds

    def run(n: int) -> None:
        with psycopg.connect(url) as conn:
            while time.monotonic() < stop:
                with lock:
                    k = cursor[0]
                    cursor[0] += 1
                if k >= len(entries):
                    return
                entry_id, digest, district = entries[k]
                initiative_id = initiatives[k % len(initiatives)]
                with conn.transaction():
                    conn.execute(
                        SIGN_SQL, (initiative_id, entry_id, digest, district, initiative_id)
                    )
                    if naive:
                        conn.execute(
                            "UPDATE petitions_initiative SET updated_at = now() WHERE id = %s",
                            (initiative_id,),
                        )
                    else:
                        conn.execute(SLOT_SQL, (initiative_id, n % 16))
                done[n] += 1

    seconds_taken = run_threads(clients, run)
    return sum(done) / seconds_taken


def sign_request(initiative_id: int, token: str) -> Request:
    return Request(
        "POST",
        f"/api/v1/initiatives/{initiative_id}/signatures/",
        b"",
        (("Authorization", f"Bearer {token}"), ("Content-Length", "0")),
    )


def sign_environ(initiative_id: int, token: str) -> dict[str, Any]:
    """The WSGI environ of a bearer-token signature, for benchmarks that call the application
    in-process (no HTTP)."""
    import io

    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": f"/api/v1/initiatives/{initiative_id}/signatures/",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "CONTENT_LENGTH": "0",
    }


def spread_requests(tokens: list[str], initiatives: list[int], count: int, offset: int = 0) -> list:
    """`count` distinct (initiative, resident) pairs, consecutive requests on different initiatives."""
    r, i = len(tokens), len(initiatives)
    assert count <= r * i
    return [
        sign_request(initiatives[(n + n // r) % i], tokens[n % r])
        for n in range(offset, offset + count)
    ]


_PGBENCH_SCRIPT = (
    "\\set i random(1, 2000000000)\n"
    "INSERT INTO raw_signature (initiative_id, register_entry_id, identity_hash, channel, created_at, "
    "track_mask, facts, district_id) VALUES (:i % 1000 + 1, :i, md5(:i::text), 'online', now(), 1, "
    '\'{"resident_16": true, "registered_elector": true}\', 1) ON CONFLICT DO NOTHING;\n'
)


def pgbench_insert_tps(database_url: str, *, clients: int = 16, seconds: int = 10) -> float:
    """The raw baseline: pgbench, `clients` clients, single-row INSERTs into a table of the same
    shape as petitions_signature (same columns and unique indexes, no foreign keys)."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS raw_signature")
        conn.execute(
            "CREATE TABLE raw_signature (LIKE petitions_signature INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES INCLUDING CONSTRAINTS)"
        )
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(_PGBENCH_SCRIPT)
    name = database_url.rsplit("/", 1)[1]
    host = database_url.split("@", 1)[1].split("/", 1)[0]
    hostname, _sep, port = host.partition(":")
    result = subprocess.run(
        [
            "pgbench",
            "-n",
            "-h",
            hostname,
            "-p",
            port or "5432",
            "-U",
            "postgres",
            "-c",
            str(clients),
            "-j",
            "2",
            "-T",
            str(seconds),
            "-f",
            script.name,
            name,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    Path(script.name).unlink()
    match = re.search(r"tps = ([0-9.]+)", result.stdout)
    assert match, result.stdout + result.stderr
    return float(match.group(1))


def _paced_worker(
    host: str,
    port: int,
    requests: Sequence[Request],
    threads: int,
    rate: float,
    seconds: float,
    queue: Any,
) -> None:
    results: list[tuple[int, float]] = []
    lock = threading.Lock()
    cursor = [0]
    interval = threads / rate  # each thread sends one request per interval
    start = time.monotonic() + 0.2

    def run(n: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        local = []
        due = start + n * interval / threads
        while due < start + seconds:
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            with lock:
                req = requests[cursor[0] % len(requests)]
                cursor[0] += 1
            began = time.perf_counter()
            try:
                conn.request(req.method, req.path, body=req.body, headers=dict(req.headers))
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
                status = 599
            local.append((status, (time.perf_counter() - began) * 1000))
            due += interval
        with lock:
            results.extend(local)

    pool = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    queue.put(results)


def paced_load(
    base_url: str,
    requests_per_process: Sequence[Sequence[Request]],
    *,
    rate: float,
    threads: int,
    seconds: float,
) -> dict[str, float]:
    """Send `rate` requests per second in total (open loop, evenly spaced) and report latencies."""
    host, port = base_url.removeprefix("http://").split(":")
    ctx = mp.get_context("fork")
    queue: Any = ctx.Queue()
    per_process = rate / len(requests_per_process)
    procs = [
        ctx.Process(
            target=_paced_worker, args=(host, int(port), reqs, threads, per_process, seconds, queue)
        )
        for reqs in requests_per_process
    ]
    for p in procs:
        p.start()
    collected: list[tuple[int, float]] = []
    for _ in procs:
        collected.extend(queue.get())
    for p in procs:
        p.join()
    latencies = sorted(ms for s, ms in collected if s < 400)
    errors = sum(1 for s, _ms in collected if s >= 500)

    def pct(p: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] if latencies else 0.0
        )

    return {
        "sent": len(collected),
        "ok": len(latencies),
        "server_errors": errors,
        "p50_ms": round(pct(50), 2),
        "p99_ms": round(pct(99), 2),
        "rps": round(len(latencies) / seconds, 1),
    }
