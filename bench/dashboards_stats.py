"""W5 and W9 (PERFORMANCE.md) for the dashboards' stats endpoints, plus the fold's scaling.

- W5: stats endpoint rps ÷ trivial endpoint rps (/healthz, same stack): ≥ 0.35 uncached, ≥ 0.8
  with a conditional GET (If-None-Match -> 304).
- W9: queries of the paginated stats list at page size 10 and 100 (equal), and the 100-item
  list latency ÷ the single-initiative stats latency (≤ 3).
- The same two ratios as CPU time per request inside one process (the whole Django stack through
  its WSGI handler, no HTTP): informative, and less sensitive than requests per second to other
  programs sharing the machine, since a process's CPU time does not count theirs.
- Fold: time of an incremental fold of 1,000 new signatures over a table of N signatures, for two
  N (flat in N: work follows new signatures, not the table).

Run: .venv/bin/python bench/dashboards_stats.py [--seconds 8] [--rounds 4] [--signatures 200000]
     [--database civic_dashboards] (or DASHBOARDS_BENCH_DB; the database is dropped and re-created)
"""

from __future__ import annotations

import argparse
import os
import time
import urllib.request
from collections import defaultdict

from harness import LoadResult, Request, load, main_guard, report, web_server
from petitions_common import analyze, close_connections, fresh, make_initiatives, make_residents

DB = os.environ.get("DASHBOARDS_BENCH_DB", "civic_dashboards")


def add_signatures(initiatives: list[int], per_initiative: int, *, offset: int = 0) -> int:
    """Signatures written straight into the tables (as the signing path leaves them: row + count),
    spread over the last 30 days' hours; returns how many."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO petitions_signature
                (initiative_id, register_entry_id, identity_hash, channel, created_at, track_mask,
                 facts, district_id, quarter_key, entered_by_id)
            SELECT i.id, e.id, e.identity_hash, 'online',
                   now() - ((e.id %% 720) || ' hours')::interval - interval '10 minutes', 1, '{}',
                   e.district_id, NULL, NULL
            FROM unnest(%s::bigint[]) AS i(id)
            JOIN LATERAL (
                SELECT id, identity_hash, district_id FROM civic_registerentry
                ORDER BY id OFFSET %s LIMIT %s
            ) e ON true
            """,
            [initiatives, offset, per_initiative],
        )
        added = cursor.rowcount
        cursor.execute(
            """
            UPDATE petitions_initiativecount c SET count = c.count + %s, updated_at = now()
            WHERE c.initiative_id = ANY(%s::bigint[])
            """,
            [per_initiative, initiatives],
        )
    return added


def spread_districts() -> None:
    from django.db import connection

    from civic.models import District

    codes = [
        District.objects.get_or_create(code=f"q{k}", defaults={"name": f"Quartier {k}"})[0].pk
        for k in range(8)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE civic_registerentry SET district_id = (%s::bigint[])[1 + id %% 8]", [codes]
        )


def cpu_per_request(path: str, headers: dict[str, str] | None = None, *, n: int = 400) -> float:
    """Microseconds of this process's CPU per request through Django's WSGI handler (best of 5)."""
    import io

    from django.core.handlers.wsgi import WSGIHandler

    app = WSGIHandler()
    route, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": route,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http",
        **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in (headers or {}).items()},
    }

    def call() -> None:
        b"".join(app({**environ, "wsgi.input": io.BytesIO()}, lambda status, headers: None))

    for _ in range(50):
        call()
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        for _ in range(n):
            call()
        best = min(best, (time.process_time() - start) / n * 1e6)
    return best


def merged(results: list[LoadResult]) -> LoadResult:
    statuses: dict[int, int] = defaultdict(int)
    for r in results:
        for status, n in r.statuses.items():
            statuses[status] += n
    return LoadResult(
        ok=sum(r.ok for r in results),
        client_errors=sum(r.client_errors for r in results),
        server_errors=sum(r.server_errors for r in results),
        seconds=sum(r.seconds for r in results),
        latencies_ms=[ms for r in results for ms in r.latencies_ms],
        statuses=dict(statuses),
    )


def timed_fold() -> float:
    from dashboards.services import aggregates_fold

    start = time.perf_counter()
    aggregates_fold()
    return time.perf_counter() - start


def main() -> None:
    main_guard()
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--signatures", type=int, default=200_000)
    parser.add_argument("--database", default=DB, help="dropped and re-created by each run")
    parser.add_argument("--rounds", type=int, default=4, help="turns taken by the workloads")
    args = parser.parse_args()
    url = fresh(args.database)
    residents = 4000
    make_residents(residents)
    spread_districts()
    initiatives = make_initiatives(300)
    per = min(residents - 1000, args.signatures // 100)
    busy = initiatives[:100]
    half = len(busy) // 2
    add_signatures(busy[:half], per)
    analyze()

    from dashboards.services import documents_rebuild

    first_fold = timed_fold()
    # An incremental fold of 1,000 new signatures at two table sizes: its time must stay flat.
    add_signatures(busy[half : half + 1], 1000, offset=per)
    fold_small = timed_fold()
    rows_small = per * half + 1000
    add_signatures(busy[half + 1 :], per)
    analyze()
    timed_fold()
    add_signatures(busy[:1], 1000, offset=per)
    fold_large = timed_fold()
    rows_large = per * len(busy) + 1000
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    documents_rebuild()
    analyze()  # as autovacuum would have by then: planner statistics for the documents table
    client = Client(HTTP_HOST="127.0.0.1")
    queries = {}
    for size in (10, 100):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/api/v1/stats/initiatives/?page_size={size}")
        assert response.status_code == 200, response.status_code
        queries[size] = len(captured)
    one_url = f"/api/v1/stats/initiatives/{busy[0]}/"
    one_etag = client.get(one_url)["ETag"]
    cpu = {
        "trivial": cpu_per_request("/healthz"),
        "stats": cpu_per_request(one_url),
        "conditional": cpu_per_request(one_url, {"If-None-Match": one_etag}),
        "page100": cpu_per_request("/api/v1/stats/initiatives/?page_size=100"),
    }
    cpu["trivial"] = min(cpu["trivial"], cpu_per_request("/healthz"))
    close_connections()

    with web_server(url, workers=args.workers) as base:
        etags = {}
        for pk in initiatives[:200]:
            with urllib.request.urlopen(f"{base}/api/v1/stats/initiatives/{pk}/") as r:  # noqa: S310 - loopback
                etags[pk] = r.headers["ETag"]
        plain = [Request("GET", f"/api/v1/stats/initiatives/{pk}/") for pk in initiatives]
        conditional = [
            Request("GET", f"/api/v1/stats/initiatives/{pk}/", None, (("If-None-Match", e),))
            for pk, e in etags.items()
        ]
        trivial = [Request("GET", "/healthz")]
        one = [Request("GET", f"/api/v1/stats/initiatives/{busy[0]}/")]
        page100 = [Request("GET", "/api/v1/stats/initiatives/?page_size=100")]
        load(base, [trivial] * 2, threads=4, seconds=2)  # warm up
        # On a shared machine the load doubles or halves within seconds: the workloads take turns in
        # short windows (A B C A B C ...), so that each ratio compares like with like.
        window = args.seconds / args.rounds
        windows: dict[str, list[LoadResult]] = defaultdict(list)
        for _ in range(args.rounds):
            for name, reqs in (
                ("trivial", trivial),
                ("stats", plain),
                ("conditional", conditional),
            ):
                windows[name].append(load(base, [reqs] * 3, threads=8, seconds=window))
            for name, reqs in (("one", one), ("page100", page100)):
                windows[name].append(load(base, [reqs], threads=1, seconds=max(window / 2, 1)))
        runs = {name: merged(results) for name, results in windows.items()}
        latency = runs
    trivial_rps = runs["trivial"].rps
    uncached = runs["stats"].rps / trivial_rps
    cond = runs["conditional"].rps / trivial_rps
    report(
        "W5",
        "stats rps ÷ trivial rps (uncached)",
        uncached,
        "≥ 0.35",
        uncached >= 0.35,
        stats_rps=round(runs["stats"].rps, 1),
        trivial_rps=round(trivial_rps, 1),
        p99_ms=round(runs["stats"].percentile(99), 2),
        server_errors=runs["stats"].server_errors,
    )
    report(
        "W5",
        "stats rps ÷ trivial rps (conditional GET, 304)",
        cond,
        "≥ 0.8",
        cond >= 0.8 and set(runs["conditional"].statuses) == {304},
        conditional_rps=round(runs["conditional"].rps, 1),
        statuses=runs["conditional"].statuses,
    )
    report(
        "W9",
        "queries at page size 10 vs 100",
        float(queries[100] - queries[10]),
        "equal",
        queries[10] == queries[100],
        page10=queries[10],
        page100=queries[100],
    )
    ratio = latency["page100"].percentile(50) / latency["one"].percentile(50)
    report(
        "W9",
        "100-item stats list p50 ÷ one stats document p50",
        ratio,
        "≤ 3",
        ratio <= 3,
        list_p50_ms=round(latency["page100"].percentile(50), 2),
        one_p50_ms=round(latency["one"].percentile(50), 2),
    )
    report(
        "W5-cpu",
        "CPU µs per request, trivial ÷ stats (uncached; conditional)",
        cpu["trivial"] / cpu["conditional"],
        "informative (≥ 0.8 for the conditional read)",
        cpu["trivial"] / cpu["conditional"] >= 0.8,
        trivial_us=round(cpu["trivial"]),
        stats_us=round(cpu["stats"]),
        uncached=round(cpu["trivial"] / cpu["stats"], 3),
        conditional_us=round(cpu["conditional"]),
    )
    report(
        "W9-cpu",
        "CPU µs per request, 100-item stats list ÷ one stats document",
        cpu["page100"] / cpu["stats"],
        "informative (≤ 3)",
        cpu["page100"] / cpu["stats"] <= 3,
        page100_us=round(cpu["page100"]),
        one_us=round(cpu["stats"]),
    )
    growth = fold_large / fold_small
    report(
        "fold",
        "incremental fold of 1,000 signatures: time at N2 ÷ time at N1",
        growth,
        "flat in N (≤ 1.5)",
        growth <= 1.5,
        n1=rows_small,
        n1_s=round(fold_small, 3),
        n2=rows_large,
        n2_s=round(fold_large, 3),
        first_fold_s=round(first_fold, 2),
        first_fold_rows=per * half,
    )


if __name__ == "__main__":
    main()
