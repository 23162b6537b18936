"""Where W1's signatures per second go (informative): the toolkit against itself and a bare handler.

Three servers on the same granian settings and the same database, driven in alternating rounds by
wrk with the same kind of requests (a different resident and initiative each time):

- the toolkit as deployed, with the short path for bearer-token signatures (civic/perf/hotpath.py);
- the toolkit with `API_HOT_PATH=false`: every request through the whole middleware and DRF;
- `raw_sign_app.py`: the same three round trips (token lookup, rate-limit script, signing
  statement) with no framework at all: what the machine allows.

Prints the short path ÷ the whole stack and the short path ÷ the bare handler, with the raw
INSERT tps of each round for scale. Needs wrk (tools/setup-bench).

Run: .venv/bin/python bench/petitions_sign_ceiling.py [--rounds 5] [--seconds 5]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from harness import main_guard, median, native_client, native_load, report, web_server
from petitions_common import (
    analyze,
    close_connections,
    fresh,
    make_initiatives,
    make_residents,
    pgbench_insert_tps,
    spread_requests,
)


def _raw_conf(url: str, directory: Path) -> Path:
    from civic.api.authentication import _columns, _token_sql
    from civic.models import RegisterEntry, User
    from petitions.models.instruments import COUNT_SLOTS
    from petitions.store import SIGN_AND_COUNT as _SIGN_AND_COUNT

    user_fields, _c = _columns(User, "u")
    entry_fields, _c = _columns(RegisterEntry, "e")
    n = len(user_fields)
    path = directory / "raw_sign.json"
    path.write_text(
        json.dumps(
            {
                "database_url": url,
                "redis_url": "redis://127.0.0.1:6379/11",
                "token_sql": _token_sql(),
                "sign_sql": _SIGN_AND_COUNT,
                "user_id": user_fields.index("id"),
                "entry_id": n + entry_fields.index("id"),
                "identity_hash": n + entry_fields.index("identity_hash"),
                "district_id": n + entry_fields.index("district_id"),
                "facts": json.dumps({"resident_16": True, "registered_elector": True}),
                "tracks": ["interpellation-charte"],
                "slots": COUNT_SLOTS,
            }
        )
    )
    return path


def main() -> None:
    main_guard()
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()
    if not native_client():
        raise SystemExit("wrk is not installed: run tools/setup-bench")
    url = fresh()
    tokens = make_residents(40_000)
    initiatives = make_initiatives(500)
    analyze()
    rounds: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        conf = _raw_conf(url, Path(tmp))
        close_connections()
        with (
            web_server(url) as short,
            web_server(url, API_HOT_PATH="false") as whole,
            web_server(url, app="bench.raw_sign_app:app", RAW_SIGN_CONF=str(conf)) as raw,
        ):
            servers = {"short": short, "whole": whole, "raw": raw}
            offset = 0
            for base in servers.values():  # warm every worker and its memos
                native_load(
                    base,
                    spread_requests(tokens, initiatives, 6_000, 400_000 + offset),
                    connections=24,
                    seconds=4,
                )
                offset += 6_000
            offset = 0
            for _round in range(args.rounds):
                figures = {"raw_insert_tps": pgbench_insert_tps(url, clients=16, seconds=3)}
                for name, base in servers.items():
                    run = native_load(
                        base,
                        spread_requests(tokens, initiatives, 12_000, offset),
                        connections=24,
                        seconds=args.seconds,
                    )
                    offset += 12_000
                    assert run.server_errors == 0 and run.client_errors == 0, run.statuses
                    figures[name] = run.rps
                rounds.append(figures)
                print(json.dumps({k: round(v) for k, v in figures.items()}), flush=True)
    stack = median([r["short"] / r["whole"] for r in rounds])
    ceiling = median([r["short"] / r["raw"] for r in rounds])
    report(
        "W1-stack",
        "signatures/s: short path ÷ whole stack (same server, alternating rounds)",
        stack,
        "informative: what civic/perf/hotpath.py gains over HTTP",
        True,
        short_per_s=round(median([r["short"] for r in rounds]), 1),
        whole_per_s=round(median([r["whole"] for r in rounds]), 1),
    )
    report(
        "W1-ceiling",
        "signatures/s: the toolkit ÷ a bare WSGI handler with the same three round trips",
        ceiling,
        "informative: the share of the machine's signing capacity the framework leaves",
        True,
        raw_per_s=round(median([r["raw"] for r in rounds]), 1),
        raw_insert_tps=round(median([r["raw_insert_tps"] for r in rounds]), 1),
    )


if __name__ == "__main__":
    main()
