"""CPU time per request of the hot API paths, inside one process (informative, for W1 and W6).

The HTTP figures of W1 and W6 depend on how busy the machine is; the CPU time a request costs the
web process barely does. This runs the real WSGI application in-process (every middleware, DRF,
authentication, the rate limit on Redis, PostgreSQL) on the demo city and prints, per request:
`/healthz` (the floor of the stack), a first signature, a first cast of a ballot, and the ratios
cast ÷ sign (W6 in CPU terms; W6 over HTTP wants casts/s ÷ signatures/s ≥ 0.8, i.e. a cast costing
at most 1.25 signatures) and sign ÷ healthz (how far the signing path is above the stack's floor).

Run: .venv/bin/python bench/api_cpu.py [--requests 600]  (database: API_CPU_BENCH_DB, default
civic_bench_api_cpu)
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from collections.abc import Callable

from harness import fresh_database, main_guard, report, run_manage
from petitions_common import django_on


def main() -> None:
    main_guard()
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=600)
    args = parser.parse_args()
    n = args.requests
    url = fresh_database(os.environ.get("API_CPU_BENCH_DB", "civic_bench_api_cpu"))
    residents = n * 4 + 300
    run_manage(url, "seed_demo", "--entries", str(residents * 2), "--residents", str(residents))
    django_on(url)

    from django.conf import settings

    from civic.models import User
    from petitions.models import Initiative
    from referendums.models import Campaign

    users = list(
        User.objects.filter(email__startswith="resident-", register_entry__isnull=False).order_by(
            "email"
        )[200:]
    )
    from civic.services.tokens import api_tokens_issue_bulk

    tokens = list(api_tokens_issue_bulk(users).values())
    assert len(tokens) >= 4 * n + 80, "not enough residents for first signatures and first casts"
    campaign = Campaign.objects.get(subject_key="demo-velo")
    question = campaign.questions.get().pk
    initiatives = list(Initiative.objects.filter(status="collecting").values_list("pk", flat=True))
    from config.wsgi import application as app

    ballot = json.dumps({"choices": {str(question): "o1"}}).encode()

    def call(method: str, path: str, token: str | None = None, body: bytes = b"") -> str:
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": "application/json",
        }
        if token is not None:
            environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        status: list[str] = []
        b"".join(app(environ, lambda s, _h, _e=None: status.append(s)))
        return status[0]

    def cpu_ms(label: str, fn: Callable[[int], str], indices: range, expect: str) -> float:
        began = time.process_time()
        statuses = [fn(i) for i in indices]
        spent = (time.process_time() - began) / len(indices) * 1000
        wrong = [s for s in statuses if not s.startswith(expect)]
        assert not wrong, f"{label}: {wrong[:3]}"
        return spent

    def sign(i: int) -> str:
        initiative = initiatives[i % len(initiatives)]
        return call("POST", f"/api/v1/initiatives/{initiative}/signatures/", tokens[i])

    def cast(i: int) -> str:
        return call("POST", f"/api/v1/referendums/{campaign.pk}/ballots/", tokens[i], ballot)

    # Warm both paths both ways (imports, connections, the per-process memo of open initiatives).
    for i in range(40):
        settings.API_HOT_PATH = i % 2 == 0
        sign(i)
        cast(40 + i)
    # Alternating rounds, so that the short path and the whole stack meet the same machine.
    rounds = 6
    per = n // rounds
    spent: dict[str, list[float]] = {
        k: [] for k in ("healthz", "sign", "cast", "sign_full", "cast_full")
    }
    fresh = iter(range(80, 80 + 4 * n))
    for _round in range(rounds):
        spent["healthz"].append(
            cpu_ms("healthz", lambda _i: call("GET", "/healthz"), range(per), "200")
        )
        for hot in (True, False):
            settings.API_HOT_PATH = hot
            suffix = "" if hot else "_full"
            batch = [next(fresh) for _ in range(per)]
            spent["sign" + suffix].append(cpu_ms("sign", sign, batch, "201"))  # type: ignore[arg-type]
            batch = [next(fresh) for _ in range(per)]
            spent["cast" + suffix].append(cpu_ms("cast", cast, batch, "201"))  # type: ignore[arg-type]
    ms = {k: sorted(v)[len(v) // 2] for k, v in spent.items()}
    report(
        "W6-cpu",
        "CPU per first signature ÷ CPU per first cast (in-process)",
        ms["sign"] / ms["cast"],
        "≥ 0.8 (informative: W6 is measured over HTTP)",
        ms["sign"] / ms["cast"] >= 0.8,
        **{f"{k}_ms": round(v, 3) for k, v in ms.items()},
    )
    report(
        "W1-cpu",
        "CPU per first signature: short path ÷ whole stack (in-process, median of rounds)",
        ms["sign"] / ms["sign_full"],
        "informative: what the short path (civic/perf/hotpath.py) saves a signature",
        True,
        cast_ratio=round(ms["cast"] / ms["cast_full"], 3),
        healthz_share_of_full_signature=round(ms["healthz"] / ms["sign_full"], 3),
    )


if __name__ == "__main__":
    main()
