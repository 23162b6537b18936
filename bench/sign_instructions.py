"""Instructions a web process executes per signature (informative, for W1): the toolkit against a
bare handler, counted by valgrind's callgrind, which counts instructions rather than time and so
gives the same figure on a busy or an idle machine (repeatable to about 0.1 %).

Each count runs in a fresh process under callgrind: it loads the WSGI application, then signs N
first signatures in-process (PostgreSQL and Redis for real; their own work is in their processes and
not counted). Two runs, N = 100 and N = 300, and the difference divided by 200 leaves out the
start-up. The same for `raw_sign_app.py`, the same three round trips with no framework. The ratio
is what the framework, the eligibility rules and the security work cost on top of the bare minimum.

Run: .venv/bin/python bench/sign_instructions.py   (needs valgrind; a few minutes)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import main_guard, report
from petitions_common import (
    analyze,
    close_connections,
    django_on,
    fresh,
    make_initiatives,
    make_residents,
    sign_environ,
)
from petitions_sign_ceiling import _raw_conf

DB = "civic_bench_instructions"
SMALL, LARGE = 100, 300


def _child(app_name: str, url: str, first: int, count: int) -> None:
    django_on(url)
    if app_name == "toolkit":
        from config.wsgi import application as app
    else:
        from raw_sign_app import app  # type: ignore[import-not-found]
    from petitions.models import Initiative

    # The tokens the parent issued (only their digests are in the database).
    tokens = json.loads(Path(os.environ["BENCH_TOKENS"]).read_text())[first : first + count]
    initiatives = list(Initiative.objects.filter(status="collecting").values_list("pk", flat=True))
    close_connections()
    assert len(tokens) == count
    for i, token in enumerate(tokens):
        environ = sign_environ(initiatives[i % len(initiatives)], token)
        status: list[str] = []
        b"".join(app(environ, lambda s, _h, _e=None, into=status: into.append(s)))
        assert status[0].startswith("201"), status


def _count(app_name: str, url: str, first: int, count: int, env: dict[str, str]) -> int:
    out = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "--child",
            app_name,
            url,
            str(first),
            str(count),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parent,
        env=env,
    )
    match = re.search(r"Collected : ([0-9]+)", out.stderr)
    assert match, out.stderr[-2000:]
    return int(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        app_name, url, first, count = args.child
        _child(app_name, url, int(first), int(count))
        return
    main_guard()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    url = fresh(DB)
    tokens = make_residents(4 * (SMALL + LARGE))
    make_initiatives(50)
    analyze()
    with tempfile.TemporaryDirectory() as tmp:
        conf = _raw_conf(url, Path(tmp))
        close_connections()
        tokens_file = Path(tmp) / "tokens.json"
        tokens_file.write_text(json.dumps(tokens))
        env = {
            **os.environ,
            "PYTHONHASHSEED": "0",
            "RAW_SIGN_CONF": str(conf),
            "BENCH_TOKENS": str(tokens_file),
        }
        per: dict[str, float] = {}
        first = 0
        for app_name in ("toolkit", "raw"):
            small = _count(app_name, url, first, SMALL, env)
            large = _count(app_name, url, first + SMALL, LARGE, env)
            first += SMALL + LARGE
            per[app_name] = (large - small) / (LARGE - SMALL)
    report(
        "W1-instructions",
        "instructions per signature in the web process: toolkit ÷ bare handler (callgrind)",
        per["toolkit"] / per["raw"],
        "informative: what the framework and the rules cost over the three round trips",
        True,
        toolkit_per_signature=round(per["toolkit"]),
        raw_per_signature=round(per["raw"]),
    )


if __name__ == "__main__":
    main()
