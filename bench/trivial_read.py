"""A smoke check of the harness: the trivial endpoint's requests per second over loopback.

W5 and W9 use this figure as their denominator (a trivial endpoint served by the same stack)."""

from __future__ import annotations

import argparse

from harness import Request, fresh_database, load, main_guard, report, web_server


def main() -> None:
    main_guard()
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()
    url = fresh_database("civic_bench_trivial")
    with web_server(url) as base:
        result = load(base, [[Request("GET", "/healthz")]] * 2, threads=8, seconds=args.seconds)
    report(
        "trivial",
        "healthz rps",
        result.rps,
        "-",
        True,
        p50_ms=round(result.percentile(50), 2),
        p99_ms=round(result.percentile(99), 2),
        server_errors=result.server_errors,
    )


if __name__ == "__main__":
    main()
