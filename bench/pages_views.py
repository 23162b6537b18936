"""W11: page views (PERFORMANCE.md, issue "Pages at viral scale").

Anonymous GETs of each public page (home, initiatives list, an initiative, the referendums list, a
vote with published results and its results page, the dashboard) from 64 keep-alive clients, each
without and with the `If-None-Match` of the page's own `ETag`, and a signed-in resident's view of an
initiative page: requests/s ÷ `/healthz` requests/s on the same server in the same run (measured
before and after the pages, averaged). Targets: each anonymous page ≥ 0.5; ≥ 0.8 with the matching
`If-None-Match` (answered 304); signed-in ≥ 0.2. A page that sends no `ETag` cannot be answered 304:
its conditional figure is reported with the statuses it got and marked not met.

Run: .venv/bin/python bench/pages_views.py [--seconds 6] [--clients 64] [--rounds 1]
"""

from __future__ import annotations

import argparse
import urllib.request

from harness import (
    LoadResult,
    Request,
    load,
    main_guard,
    median,
    native_client,
    native_load,
    report,
    web_server,
)
from pages_common import seed_city
from petitions_common import analyze, close_connections


def _drive(base: str, requests: list[Request], *, clients: int, seconds: float) -> LoadResult:
    """wrk when installed (tools/setup-bench), else Python threads in 3 processes."""
    if native_client():
        return native_load(base, requests, connections=clients, seconds=seconds)
    return load(base, [requests] * 3, threads=max(1, clients // 3), seconds=seconds)


def _etag(base: str, path: str) -> str | None:
    with urllib.request.urlopen(base + path) as response:  # noqa: S310 - loopback
        response.read()
        return response.headers.get("ETag")


def main() -> None:
    main_guard()
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=6)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=1, help="repeat every measure; medians")
    args = parser.parse_args()
    city = seed_city(residents=2000, initiatives=10)
    analyze()
    close_connections()
    signed_in = [
        Request("GET", city.pages["initiative"], None, (("Cookie", f"sessionid={key}"),))
        for key in city.sessions
    ]
    with web_server(city.url, workers=args.workers) as base:
        etags = {name: _etag(base, path) for name, path in city.pages.items()}
        trivial = [Request("GET", "/healthz")]
        for path in ["/healthz", *city.pages.values()]:  # warm every worker and template
            _drive(base, [Request("GET", path)], clients=8, seconds=1)
        rounds: list[dict[str, LoadResult]] = []
        for _round in range(args.rounds):
            runs: dict[str, LoadResult] = {}
            runs["healthz"] = _drive(base, trivial, clients=args.clients, seconds=args.seconds)
            for name, path in city.pages.items():
                runs[name] = _drive(
                    base, [Request("GET", path)], clients=args.clients, seconds=args.seconds
                )
                header = (("If-None-Match", etags[name] or '"none"'),)
                runs[name + "_304"] = _drive(
                    base, [Request("GET", path, None, header)], clients=args.clients,
                    seconds=args.seconds,
                )  # fmt: skip
            runs["signed_in"] = _drive(base, signed_in, clients=args.clients, seconds=args.seconds)
            runs["healthz_again"] = _drive(
                base, trivial, clients=args.clients, seconds=args.seconds
            )
            rounds.append(runs)

    def ratio(name: str) -> float:
        return median(
            [r[name].rps / ((r["healthz"].rps + r["healthz_again"].rps) / 2) for r in rounds]
        )

    last = rounds[-1]
    healthz_rps = median([(r["healthz"].rps + r["healthz_again"].rps) / 2 for r in rounds])
    common = {"clients": args.clients, "healthz_rps": round(healthz_rps, 1), "rounds": args.rounds,
              "load_generator": last["healthz"].client}  # fmt: skip
    for name, path in city.pages.items():
        plain, cond = last[name], last[name + "_304"]
        value = ratio(name)
        report(
            "W11", f"anonymous GET {name} ({path}) rps ÷ /healthz rps", value, "≥ 0.5",
            value >= 0.5 and plain.server_errors == 0,
            rps=round(plain.rps, 1), p50_ms=round(plain.percentile(50), 2),
            p99_ms=round(plain.percentile(99), 2), statuses=plain.statuses, **common,
        )  # fmt: skip
        value = ratio(name + "_304")
        report(
            "W11", f"anonymous GET {name} with its If-None-Match rps ÷ /healthz rps", value,
            "≥ 0.8, answered 304", value >= 0.8 and set(cond.statuses) == {304},
            rps=round(cond.rps, 1), etag=etags[name], p99_ms=round(cond.percentile(99), 2),
            statuses=cond.statuses, **common,
        )  # fmt: skip
    value = ratio("signed_in")
    mine = last["signed_in"]
    report(
        "W11", "signed-in resident's initiative page rps ÷ /healthz rps", value, "≥ 0.2",
        value >= 0.2 and set(mine.statuses) == {200},
        rps=round(mine.rps, 1), p99_ms=round(mine.percentile(99), 2), statuses=mine.statuses,
        **common,
    )  # fmt: skip


if __name__ == "__main__":
    main()
