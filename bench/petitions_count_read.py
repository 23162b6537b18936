"""W5: the public count read (PERFORMANCE.md).

count endpoint rps ÷ trivial endpoint rps (/healthz, same stack): ≥ 0.35 uncached; ≥ 0.8 with a
conditional GET (If-None-Match: the ETag answered before -> 304).

Run: .venv/bin/python bench/petitions_count_read.py [--seconds 8]
"""

from __future__ import annotations

import argparse
import urllib.request

from harness import Request, load, main_guard, report, web_server
from petitions_common import analyze, close_connections, fresh, make_initiatives, make_residents


def main() -> None:
    main_guard()
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()
    url = fresh()
    make_residents(10)
    initiatives = make_initiatives(1000)
    analyze()
    close_connections()
    with web_server(url, workers=args.workers) as base:
        etags = {}
        for pk in initiatives[:200]:
            with urllib.request.urlopen(f"{base}/api/v1/initiatives/{pk}/count/") as response:  # noqa: S310 - loopback
                etags[pk] = response.headers["ETag"]
        plain = [Request("GET", f"/api/v1/initiatives/{pk}/count/") for pk in initiatives]
        conditional = [
            Request("GET", f"/api/v1/initiatives/{pk}/count/", None, (("If-None-Match", etag),))
            for pk, etag in etags.items()
        ]
        trivial = [Request("GET", "/healthz")]
        load(base, [trivial] * 2, threads=4, seconds=2)  # warm up
        runs = {}
        for name, reqs in (
            ("trivial", trivial),
            ("count", plain),
            ("conditional", conditional),
            ("trivial_again", trivial),
        ):
            runs[name] = load(base, [reqs] * 3, threads=8, seconds=args.seconds)
    trivial_rps = (runs["trivial"].rps + runs["trivial_again"].rps) / 2
    uncached = runs["count"].rps / trivial_rps
    cond = runs["conditional"].rps / trivial_rps
    statuses = runs["conditional"].statuses
    report(
        "W5",
        "count rps ÷ trivial rps (uncached)",
        uncached,
        "≥ 0.35",
        uncached >= 0.35,
        count_rps=round(runs["count"].rps, 1),
        trivial_rps=round(trivial_rps, 1),
        p99_ms=round(runs["count"].percentile(99), 2),
        server_errors=runs["count"].server_errors,
    )
    report(
        "W5",
        "count rps ÷ trivial rps (conditional GET, 304)",
        cond,
        "≥ 0.8",
        cond >= 0.8 and set(statuses) == {304},
        conditional_rps=round(runs["conditional"].rps, 1),
        statuses=statuses,
    )


if __name__ == "__main__":
    main()
