"""Garbage-collector pauses of a web process on the signing path (informative, for W1's p99).

A full collection walks every object the process tracks, and the import of the application
leaves about 110,000 of them: while it runs, both request threads of that worker stand still.
`config/wsgi.py` freezes what the import built (`gc.freeze()`), so that a collection walks only
what requests left behind. Each round runs in a fresh process, as a web worker starts: it imports
`config.wsgi`, warms up, then signs `--requests` first signatures through the WSGI application
(short path, PostgreSQL, the rate limit on Redis) while `gc.callbacks` time every collection.
Rounds alternate between the application as deployed (frozen) and the same process after
`gc.unfreeze()` (as before). Prints the longest pause and the collector's time per 1,000 requests.

Run: .venv/bin/python bench/gc_pauses.py [--requests 15000] [--rounds 2]  (a full collection comes
every ten thousand requests or so: fewer requests may see none)
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import fresh_database, main_guard, median, report, run_manage
from petitions_common import django_on, sign_environ

DB = "civic_bench_gc"


def _child(url: str, frozen: bool, first: int, count: int) -> None:
    django_on(url)
    import config.wsgi

    if not frozen:
        gc.unfreeze()
    from petitions.models import Initiative

    # The tokens the parent issued (only their digests are in the database).
    tokens = json.loads(Path(os.environ["BENCH_TOKENS"]).read_text())[first : first + count]
    initiatives = list(Initiative.objects.filter(status="collecting").values_list("pk", flat=True))
    assert len(tokens) == count, "not enough residents"

    def sign(i: int) -> None:
        environ = sign_environ(initiatives[i % len(initiatives)], tokens[i])
        status: list[str] = []
        b"".join(config.wsgi.application(environ, lambda s, _h, _e=None: status.append(s)))
        assert status[0].startswith("201"), status

    warm = 50
    for i in range(warm):
        sign(i)
    pauses: list[tuple[int, float]] = []
    began = [0.0]

    def timed(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            began[0] = time.perf_counter()
        else:
            pauses.append((info["generation"], (time.perf_counter() - began[0]) * 1000))

    tracked = len(gc.get_objects())
    gc.callbacks.append(timed)
    for i in range(warm, count):
        sign(i)
    gc.callbacks.remove(timed)
    n = count - warm
    print(
        json.dumps(
            {
                "tracked": tracked,
                "frozen_objects": gc.get_freeze_count(),
                "max_pause_ms": max((ms for _g, ms in pauses), default=0.0),
                "gc_ms_per_1000": sum(ms for _g, ms in pauses) / n * 1000,
                "full_collections": sum(1 for g, _ms in pauses if g == 2),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=15000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        url, frozen, first, count = args.child
        _child(url, frozen == "frozen", int(first), int(count))
        return
    main_guard()
    n = args.requests
    runs = 2 * args.rounds
    url = fresh_database(DB)
    residents = n * runs + 300
    run_manage(url, "seed_demo", "--entries", str(residents * 2), "--residents", str(residents))
    django_on(url)
    from civic.models import User
    from civic.services.tokens import api_tokens_issue_bulk

    users = User.objects.filter(email__startswith="resident-", register_entry__isnull=False)
    issued = api_tokens_issue_bulk(users.order_by("pk"))
    tokens_file = Path(tempfile.mkdtemp()) / "tokens.json"
    tokens_file.write_text(json.dumps([issued[pk] for pk in sorted(issued)]))
    os.environ["BENCH_TOKENS"] = str(tokens_file)
    results: dict[str, list[dict[str, float]]] = {"frozen": [], "unfrozen": []}
    for run in range(runs):
        mode = ("frozen", "unfrozen")[run % 2]
        out = subprocess.run(
            [sys.executable, __file__, "--child", url, mode, str(run * n), str(n)],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        )
        results[mode].append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(json.dumps({"mode": mode, **results[mode][-1]}), flush=True)
    worst = {m: max(r["max_pause_ms"] for r in rs) for m, rs in results.items()}
    per = {m: median([r["gc_ms_per_1000"] for r in rs]) for m, rs in results.items()}
    report(
        "W1-gc",
        "longest collector pause of a web process signing, frozen import ÷ unfrozen (worst round)",
        worst["frozen"] / worst["unfrozen"],
        "informative: the p99 of W1 at half load wants no pause near 50 ms",
        worst["frozen"] < 50,
        longest_pause_ms={m: round(v, 1) for m, v in worst.items()},
        gc_ms_per_1000_requests={m: round(v, 1) for m, v in per.items()},
        tracked_objects={m: int(median([r["tracked"] for r in rs])) for m, rs in results.items()},
        full_collections={
            m: sum(int(r["full_collections"]) for r in rs) for m, rs in results.items()
        },
    )


if __name__ == "__main__":
    main()
