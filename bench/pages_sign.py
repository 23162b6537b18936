"""W12: form signing (PERFORMANCE.md, issue "Pages at viral scale").

Residents (pre-created, verified, signed in: a session each) open an initiative's page, post its
signing form with the CSRF token the page carries, and follow the redirect back to the page:
residents per second ÷ W1's API signatures per second, measured on the same server in the same run
(alternating windows, so both meet the same machine). Target ≥ 0.5.

W1 here is the API signing load of bench/petitions_sign.py (24 clients, wrk when installed) without
its pgbench pairs. The form flow needs each answer to build the next request, so its clients are
Python threads (bench/pages_common.py), which spend CPU of their own on the same cores: the W1
figure is also given through the same Python client (`w1_python_rps`), the fairer comparison.

Run: .venv/bin/python bench/pages_sign.py [--seconds 8] [--pairs 3] [--clients 24]
"""

from __future__ import annotations

import argparse
from typing import Any

from harness import (
    LoadResult,
    load,
    main_guard,
    median,
    native_client,
    native_load,
    report,
    web_server,
)
from pages_common import Browser, Record, drive_flows, percentile, seed_city, sign_with_form
from petitions_common import analyze, close_connections, spread_requests

PROCESSES = 3


def _w1(base: str, requests: list, *, clients: int, seconds: float) -> LoadResult:
    if native_client():
        return native_load(base, requests, connections=clients, seconds=seconds)
    parts = [requests[p::PROCESSES] for p in range(PROCESSES)]
    return load(base, parts, threads=clients // PROCESSES, seconds=seconds)


def _form_flow(host: str, port: int, item: Any, out: list[Record], state: dict[str, Any]) -> None:
    """One resident: a fresh browser with the resident's session cookie (a new visitor each
    time, as residents arriving from a link), the page, the form, the redirect."""
    session, initiative_id = item
    browser = Browser(host, port, {"sessionid": session})
    ok = sign_with_form(browser, initiative_id, out)
    out.append(("resident", 200 if ok else 0, 0.0, 0.0, None))  # 0: the flow broke
    browser.close()


def _api_flow(host: str, port: int, item: Any, out: list[Record], state: dict[str, Any]) -> None:
    """W1's request from the same Python client, for a like-for-like comparison."""
    browser = state.setdefault("browser", Browser(host, port))
    request = item
    status, _h, _b = browser.request(
        request.method, request.path, request.body, dict(request.headers)
    )
    out.append(("api_sign", status, 0.0, 0.0, None))


def _items(
    sessions: list[str], initiatives: list[int], count: int, offset: int
) -> list[tuple[str, int]]:
    """`count` distinct (session, initiative) pairs, consecutive ones on different initiatives."""
    r, i = len(sessions), len(initiatives)
    return [(sessions[n % r], initiatives[(n + n // r) % i]) for n in range(offset, offset + count)]


def main() -> None:
    main_guard()
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--clients", type=int, default=24)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()
    city = seed_city(residents=4000, initiatives=200)
    analyze()
    close_connections()
    half = len(city.initiatives) // 2
    api_initiatives, form_initiatives = city.initiatives[:half], city.initiatives[half:]
    threads = max(1, args.clients // PROCESSES)
    pairs: list[tuple[float, float, float]] = []
    statuses: dict[str, dict[int, int]] = {}
    latencies: list[float] = []
    with web_server(city.url, workers=args.workers) as base:
        # Warm every worker: imports, connections, templates, the tracks memo.
        _w1(base, spread_requests(city.tokens, api_initiatives, 2000, offset=300_000), clients=24,
            seconds=3)  # fmt: skip
        warm = _items(city.sessions, form_initiatives, 3000, offset=300_000)
        drive_flows(base, [warm[p::PROCESSES] for p in range(PROCESSES)], _form_flow,
                    threads=threads, seconds=3)  # fmt: skip
        for pair in range(args.pairs):
            api = _w1(
                base, spread_requests(city.tokens, api_initiatives, 20_000, offset=pair * 20_000),
                clients=args.clients, seconds=args.seconds,
            )  # fmt: skip
            items = _items(city.sessions, form_initiatives, 20_000, offset=pair * 20_000)
            records, seconds = drive_flows(
                base, [items[p::PROCESSES] for p in range(PROCESSES)], _form_flow,
                threads=threads, seconds=args.seconds,
            )  # fmt: skip
            residents = sum(1 for r in records if r[0] == "resident" and r[1] == 200)
            api_items = spread_requests(
                city.tokens, api_initiatives, 20_000, offset=200_000 + pair * 20_000
            )
            py_records, py_seconds = drive_flows(
                base, [api_items[p::PROCESSES] for p in range(PROCESSES)], _api_flow,
                threads=threads, seconds=args.seconds,
            )  # fmt: skip
            py_ok = sum(1 for r in py_records if r[1] < 400)
            pairs.append((residents / seconds, api.rps, py_ok / py_seconds))
            for kind, status, _t, ms, _c in records:
                statuses.setdefault(kind, {})
                statuses[kind][status] = statuses[kind].get(status, 0) + 1
                if kind != "resident" and status < 400:
                    latencies.append(ms)
            statuses.setdefault("w1", {})
            for s, n in api.statuses.items():
                statuses["w1"][s] = statuses["w1"].get(s, 0) + n
    ratios = [form / api for form, api, _py in pairs]
    fair = [form / py for form, _api, py in pairs]
    value = median(ratios)
    report(
        "W12", "form-signing residents/s ÷ W1 API signatures/s, same run (median of pairs)", value,
        "≥ 0.5", value >= 0.5 and not any(s >= 500 for c in statuses.values() for s in c),
        residents_per_s=round(median([p[0] for p in pairs]), 1),
        w1_signatures_per_s=round(median([p[1] for p in pairs]), 1),
        w1_python_rps=round(median([p[2] for p in pairs]), 1),
        ratio_to_w1_python=round(median(fair), 3),
        pair_ratios=[round(r, 3) for r in ratios], clients=args.clients,
        form_request_p50_ms=round(percentile(latencies, 50), 2),
        form_request_p99_ms=round(percentile(latencies, 99), 2),
        statuses=statuses, w1_load_generator="wrk" if native_client() else "python",
    )  # fmt: skip

    from petitions import services
    from petitions.models import InitiativeCount, Signature

    services.counts_fold()
    exact = all(
        InitiativeCount.objects.get(initiative_id=i, track=-1).count
        == Signature.objects.filter(initiative_id=i).count()
        for i in city.initiatives
    )
    report("W12", "published counts exact after the fold", 1.0 if exact else 0.0, "exact", exact)


if __name__ == "__main__":
    main()
