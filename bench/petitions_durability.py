"""W10: durability. Signing over HTTP with `synchronous_commit=on` ÷ the same with it off.

A signature is a legal record: it must be on disk when the resident is told it counts, so the
toolkit runs with PostgreSQL's default `synchronous_commit=on`. This measures what that costs on the
signing path: the same web server, the same load, the same database, only the setting changes (passed
per connection through `DATABASE_URL`'s `options`). Two servers run side by side, one per setting,
and short loads alternate between them (on, off, off, on, ...) with fresh residents each time; the
figure is the median of the pairs' ratios, which a drifting machine load cancels out of. Target ≥ 0.85.

At the statement level (the signing statement from 16 connections, no HTTP) the same ratio is
printed for information: it shows the cost of the flush itself, which the request path hides.

Run: .venv/bin/python bench/petitions_durability.py [--seconds 3] [--pairs 8]
"""

from __future__ import annotations

import argparse
from urllib.parse import quote

from harness import load, main_guard, median, report, web_server
from petitions_common import (
    analyze,
    close_connections,
    fresh,
    make_initiatives,
    make_residents,
    sign_request,
    signing_statements_tps,
)

TARGET = 0.85
OFF = "?options=" + quote("-c synchronous_commit=off")


def main() -> None:
    main_guard()
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--pairs", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()
    url = fresh("civic_petitions_w10")
    per_round = 3_000
    tokens = make_residents(per_round * 2 * args.pairs + 200 + 16_000)
    initiatives = make_initiatives(200)
    spare = make_initiatives(50)
    analyze()
    from civic.models import RegisterEntry

    entries = list(
        RegisterEntry.objects.order_by("-id").values_list("id", "identity_hash", "district_id")
    )[:16_000]
    close_connections()

    def requests(offset: int) -> list[list]:
        batch = [
            sign_request(initiatives[n % len(initiatives)], tokens[offset + n])
            for n in range(per_round)
        ]
        return [batch[p::3] for p in range(3)]

    # Both servers run side by side and short loads alternate between them, so that both settings
    # meet the same machine: a load that drifts (other work on the host) cancels out in each pair.
    rps: dict[str, list[float]] = {"on": [], "off": []}
    offset = 0
    with (
        web_server(url, workers=args.workers) as base_on,
        web_server(url + OFF, workers=args.workers) as base_off,
    ):
        bases = {"on": base_on, "off": base_off}
        for mode in ("on", "off"):
            load(bases[mode], requests(offset)[:1], threads=2, seconds=1, max_requests=100)
            offset += 100
        for pair in range(args.pairs):
            for mode in ("on", "off") if pair % 2 == 0 else ("off", "on"):
                result = load(bases[mode], requests(offset), threads=8, seconds=args.seconds)
                offset += per_round
                assert result.server_errors == 0, result.statuses
                rps[mode].append(result.rps)
    ratios = [a / b for a, b in zip(rps["on"], rps["off"], strict=True)]
    ratio = median(ratios)
    report(
        "W10",
        "HTTP signatures/s with synchronous_commit=on ÷ off",
        ratio,
        f"≥ {TARGET}",
        ratio >= TARGET,
        pair_ratios=[round(r, 3) for r in ratios],
        on_rps=[round(r, 1) for r in rps["on"]],
        off_rps=[round(r, 1) for r in rps["off"]],
    )
    half = len(entries) // 2
    stmt_on = signing_statements_tps(url, spare[:25], entries[:half], 16, args.seconds / 2)
    stmt_off = signing_statements_tps(url + OFF, spare[25:], entries[half:], 16, args.seconds / 2)
    report(
        "W10-db",
        "signing statements/s (16 connections), synchronous_commit on ÷ off",
        stmt_on / stmt_off,
        "informative",
        True,
        on_tps=round(stmt_on, 1),
        off_tps=round(stmt_off, 1),
    )


if __name__ == "__main__":
    main()
