"""Shared machinery of the benchmarks: a fresh PostgreSQL database, the web server on loopback, an
HTTP load (bench/loadgen.py, shared with tools/loadtest.py), and raw SQL baselines measured in the same run.

Every benchmark prints its figure as a ratio against a baseline measured on the same machine in the
same run, so the figure survives a noisy or slower machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadgen import Request, drive

ROOT = Path(__file__).resolve().parents[1]
PY = str(ROOT / ".venv" / "bin" / "python")
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres")


def pg_url(name: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


def fresh_database(name: str, *, migrate: bool = True) -> str:
    """Drop and create `name`, migrate it; returns its URL."""
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = pg_url(name)
    if migrate:
        run_manage(url, "migrate", "--no-input", "-v0")
    return url


def bench_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DATABASE_URL=database_url,
        CIVIC_PROFILE="development",
        DEBUG="false",
        CACHE_URL=os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/11"),
        CELERY_BROKER_URL=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/10"),
        CELERY_TASK_ALWAYS_EAGER="false",
        ACCOUNT_EMAIL_VERIFICATION="none",
        LOG_LEVEL="WARNING",
        DATABASE_CONN_MAX_AGE="600",
        # The benchmark measures the request path, not the rate limits.
        THROTTLE_ANON="10000000/min",
        THROTTLE_USER="10000000/min",
        THROTTLE_SIGN="10000000/min",
        THROTTLE_VOTE="10000000/min",
        THROTTLE_TOKEN="10000000/min",  # noqa: S106 - a rate, not a password
    )
    env.update(extra)
    return env


def run_manage(database_url: str, *args: str, **extra: str) -> str:
    result = subprocess.run(
        [PY, "manage.py", *args],
        cwd=ROOT,
        env=bench_env(database_url, **extra),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def web_server(
    database_url: str,
    *,
    workers: int = 3,
    threads: int = 2,
    app: str = "config.wsgi:application",
    **extra: str,
) -> Iterator[str]:
    """The web server on a free loopback port, as in production (granian serving `config.wsgi`:
    `workers` processes, each running requests on `threads` threads). Yields the base URL.
    `extra` goes to the environment; `app` serves another WSGI application the same way."""
    port = free_port()
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "granian"),
            "--interface",
            "wsgi",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--blocking-threads",
            str(threads),
            "--log-level",
            "warning",
            "--backlog",
            "2048",
        ],
        cwd=ROOT,
        env=bench_env(database_url, **extra),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # Three workers importing the application take over 30 s on a loaded machine (load 17).
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)  # noqa: S310 - loopback
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the web server did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a worker stuck in shutdown: do not leave it running
            proc.kill()
            proc.wait(timeout=30)


@dataclass
class LoadResult:
    ok: int
    client_errors: int
    server_errors: int
    seconds: float
    latencies_ms: list[float]
    statuses: dict[int, int]
    quantiles_ms: dict[float, float] | None = None  # wrk reports percentiles, not every latency
    client: str = "python"

    @property
    def rps(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if self.quantiles_ms is not None:
            return self.quantiles_ms[p]
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def load(
    base_url: str,
    requests_per_process: Sequence[Sequence[Request]],
    *,
    threads: int,
    seconds: float,
    max_requests: int | None = None,
) -> LoadResult:
    """Drive `requests` (cycled) from one OS process per list, each with `threads` keep-alive
    connections, for `seconds` (or until each process sent `max_requests`): bench/loadgen.py."""
    answers, elapsed = drive(
        base_url, requests_per_process, threads=threads, seconds=seconds, max_requests=max_requests
    )
    collected = [(status, ms) for process in answers for _i, status, ms in process]
    statuses: dict[int, int] = {}
    for status, _ms in collected:
        statuses[status] = statuses.get(status, 0) + 1
    ok = sum(n for s, n in statuses.items() if s < 400)
    return LoadResult(
        ok=ok,
        client_errors=sum(n for s, n in statuses.items() if 400 <= s < 500),
        server_errors=sum(n for s, n in statuses.items() if s >= 500),
        seconds=elapsed,
        latencies_ms=[ms for s, ms in collected if s < 400],
        statuses=statuses,
    )


WRK_SCRIPT = ROOT / "bench" / "wrk_requests.lua"


def native_client() -> str | None:
    """wrk, the C load generator (`tools/setup-bench` installs it), if present."""
    return shutil.which("wrk")


def native_load(
    base_url: str,
    requests: Sequence[Request],
    *,
    connections: int,
    seconds: float,
    rate: float | None = None,
) -> LoadResult:
    """The load of `load()` from wrk instead of Python threads: `connections` keep-alive
    connections on 2 wrk threads replay `requests` (cycled). pgbench's client is C; so is this one,
    so a figure against pgbench compares servers, not load generators. With `rate`, each
    connection pauses `connections / rate` seconds after each answer (a paced load)."""
    wrk = native_client()
    if wrk is None:
        raise RuntimeError("wrk is not installed: run tools/setup-bench")
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as f:
        for r in requests:
            fields = [
                r.method,
                r.path,
                (r.body or b"").decode(),
                *(f"{k}: {v}" for k, v in r.headers),
            ]
            assert not any("\t" in x or "\n" in x for x in fields), "tabs or newlines in a request"
            f.write("\t".join(fields) + "\n")
    threads = 2
    env = dict(os.environ)
    if rate:
        env["WRK_PACE_MS"] = str(round(connections / rate * 1000))
    try:
        out = subprocess.run(
            [
                wrk,
                f"-t{threads}",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "30s",
                "-s",
                str(WRK_SCRIPT),
                base_url,
                "--",
                f.name,
                str(threads),
            ],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        ).stdout
    finally:
        Path(f.name).unlink()
    line = next(x for x in out.splitlines() if x.startswith("WRK "))
    data = json.loads(line[4:])
    statuses = {int(k): v for k, v in data["statuses"].items()}
    if data["socket_errors"]:
        statuses[599] = data["socket_errors"]
    return LoadResult(
        ok=sum(n for s, n in statuses.items() if s < 400),
        client_errors=sum(n for s, n in statuses.items() if 400 <= s < 500),
        server_errors=sum(n for s, n in statuses.items() if s >= 500),
        seconds=data["duration_us"] / 1e6,
        latencies_ms=[],
        statuses=statuses,
        quantiles_ms={50: data["p50_us"] / 1000, 99: data["p99_us"] / 1000},
        client="wrk",
    )


def raw_insert_tps(
    database_url: str,
    *,
    clients: int,
    seconds: float,
    setup: str,
    insert: str,
    params: Callable[[int, int], Sequence[Any]],
) -> float:
    """The raw baseline: `clients` threads doing single-row INSERTs in autocommit through psycopg."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(setup)
    counts = [0] * clients
    stop_at = time.monotonic() + seconds

    def run(n: int) -> None:
        with psycopg.connect(database_url, autocommit=True) as conn:
            i = 0
            while time.monotonic() < stop_at:
                conn.execute(insert, params(n, i))
                i += 1
            counts[n] = i

    seconds_taken = run_threads(clients, run)
    return sum(counts) / seconds_taken


def run_threads(count: int, target: Callable[[int], None]) -> float:
    """Run `target(0)` ... `target(count - 1)` on as many threads; returns the seconds they took."""
    threads = [threading.Thread(target=target, args=(n,)) for n in range(count)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.monotonic() - began


def report(
    workload: str, figure: str, value: float, target: str, ok: bool, **details: Any
) -> dict[str, Any]:
    line = {
        "workload": workload,
        "figure": figure,
        "value": round(value, 3),
        "target": target,
        "met": ok,
        **details,
    }
    print(json.dumps(line, ensure_ascii=False))
    return line


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def main_guard() -> None:
    if not Path(PY).exists():
        sys.exit("run tools/setup first (.venv missing)")
