"""CPU time per request of the hot API paths, inside one process (informative, for W1 and W6).

The HTTP figures of W1 and W6 depend on how busy the machine is; the CPU time a request costs the
web process barely does. This runs the real WSGI application in-process (every middleware, DRF,
authentication, the rate limit on Redis, PostgreSQL) on the demo city and prints, per request:
`/healthz` (the floor of the stack), a first signature, a first cast of a ballot, and the ratios
cast ÷ sign (W6 in CPU terms; W6 over HTTP wants casts/s ÷ signatures/s ≥ 0.8, i.e. a cast costing
at most 1.25 signatures) and sign ÷ healthz (how far the signing path is above the stack's floor).

Run: .venv/bin/python bench/api_cpu.py [--requests 600]
"""

from __future__ import annotations

import argparse
import io
import json
import secrets
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
    url = fresh_database("civic_bench_api_cpu")
    residents = n * 2 + 300
    run_manage(url, "seed_demo", "--entries", str(residents * 2), "--residents", str(residents))
    django_on(url)

    from django.core.handlers.wsgi import WSGIHandler
    from rest_framework.authtoken.models import Token

    from civic.models import User
    from petitions.models import Initiative
    from referendums.models import Campaign

    users = list(
        User.objects.filter(email__startswith="resident-", register_entry__isnull=False).order_by(
            "email"
        )[200:]
    )
    Token.objects.bulk_create([Token(user=u, key=secrets.token_hex(20)) for u in users])
    tokens = list(Token.objects.filter(user__in=users).values_list("key", flat=True))
    assert len(tokens) >= 2 * n + 40, "not enough residents for first signatures and first casts"
    campaign = Campaign.objects.get(subject_key="demo-velo")
    question = campaign.questions.get().pk
    initiatives = list(Initiative.objects.filter(status="collecting").values_list("pk", flat=True))
    app = WSGIHandler()
    ballot = json.dumps({"choices": {str(question): "yes"}}).encode()

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

    # Warm both paths (imports, connections, the per-process memo of open initiatives).
    for i in range(20):
        call(
            "POST",
            f"/api/v1/initiatives/{initiatives[i % len(initiatives)]}/signatures/",
            tokens[i],
        )
        call("POST", f"/api/v1/referendums/{campaign.pk}/ballots/", tokens[20 + i], ballot)
    healthz = cpu_ms("healthz", lambda _i: call("GET", "/healthz"), range(n), "200")
    sign = cpu_ms(
        "sign",
        lambda i: call(
            "POST",
            f"/api/v1/initiatives/{initiatives[i % len(initiatives)]}/signatures/",
            tokens[i],
        ),
        range(40, 40 + n),
        "201",
    )
    cast = cpu_ms(
        "cast",
        lambda i: call("POST", f"/api/v1/referendums/{campaign.pk}/ballots/", tokens[i], ballot),
        range(40 + n, 40 + 2 * n),
        "201",
    )
    report(
        "W6-cpu",
        "CPU per first signature ÷ CPU per first cast (in-process)",
        sign / cast,
        "≥ 0.8 (informative: W6 is measured over HTTP)",
        sign / cast >= 0.8,
        healthz_ms=round(healthz, 3),
        sign_ms=round(sign, 3),
        cast_ms=round(cast, 3),
    )
    report(
        "W1-cpu",
        "CPU per /healthz ÷ CPU per first signature (in-process)",
        healthz / sign,
        "informative: the share of a signature's CPU that is the stack's floor",
        True,
    )


if __name__ == "__main__":
    main()
