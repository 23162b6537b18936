"""Red team: against a running server, try each attack of the threat model and print one line per
attack, "held" or "broken". Exits non-zero if any attack succeeds.

    .venv/bin/python tools/redteam.py           # a fresh database `civic_redteam`, a granian server
    .venv/bin/python tools/redteam.py -k 17.4   # only the attacks whose finding starts with 17.4

The run seeds the demo city, lets each module of `tools/redteam/` create what its attacks need
(accounts, votes, tokens), then starts the web server as in production, with the production rate
limits (the load test lifts them; here they are part of what is attacked), and attacks it over
loopback. Each module is one area of docs/threat-model.md.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from harness import fresh_database, run_manage, web_server  # noqa: E402

from tools.redteam import MODULES  # noqa: E402
from tools.redteam.target import Target  # noqa: E402

DB_NAME = os.environ.get("REDTEAM_DB", "civic_redteam")
# The rate limits of production: bench_env lifts them for load, the red team attacks them.
LIMITS = {
    "THROTTLE_ANON": "600/min",
    "THROTTLE_USER": "1200/min",
    "THROTTLE_SIGN": "30/min",
    "THROTTLE_VOTE": "30/min",
    "THROTTLE_TOKEN": "10/min",
    "CACHE_URL": os.environ.get("REDTEAM_CACHE_URL", "redis://127.0.0.1:6379/5"),
    # The audit chain keyed and its heads published, as a deployment must (docs/threat-model.md).
    "AUDIT_CHAIN_KEY": "redteam-audit-chain-key-0123456789abcdef",
    "AUDIT_SIGNING_KEY": "72" * 32,
    "AUDIT_HEADS_FILE": str(ROOT / "var" / f"redteam-heads-{DB_NAME}.jsonl"),
}
# The web server connects as the application's own role (manage.py db_roles), not as the owner.
APP_ROLE = f"{DB_NAME}_app"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", default="", help="only findings starting with this")
    args = parser.parse_args()
    t0 = time.monotonic()
    Path(LIMITS["AUDIT_HEADS_FILE"]).unlink(missing_ok=True)
    url = fresh_database(DB_NAME)
    run_manage(url, "seed_demo", "--entries", "300", "--residents", "60", **LIMITS)
    modules = [importlib.import_module(name) for name in MODULES]
    facts = {}
    for module in modules:
        out = run_manage(url, "shell", "-c", module.SETUP, **LIMITS)
        facts[module.__name__.rsplit(".", 1)[-1]] = json.loads(out.strip().splitlines()[-1])
    run_manage(url, "db_roles", "--create", "--role", APP_ROLE, **LIMITS)
    app_url = url.replace("://postgres@", f"://{APP_ROLE}@", 1)
    print(f"set up in {time.monotonic() - t0:.1f} s", flush=True)
    broken = 0
    with web_server(app_url, workers=2, threads=2, **LIMITS) as base:
        target = Target(base=base, database_url=app_url, facts=facts)
        for module in modules:
            for attack in module.attacks():
                if not attack.finding.startswith(args.k):
                    continue
                try:
                    held, detail = attack.run(target)
                except Exception:  # an attack that crashes proves nothing: count it broken
                    held, detail = False, traceback.format_exc(limit=3).strip().replace("\n", " | ")
                broken += not held
                verdict = "held  " if held else "BROKEN"
                print(f"{verdict} {attack.finding:<6} {attack.title}: {detail}", flush=True)
    print(f"{broken} broken, in {time.monotonic() - t0:.1f} s")
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
