"""W6: online vote casts per second ÷ petition signatures per second (W1), same run, same stack.

    .venv/bin/python bench/referendums_w6_cast.py [--seconds 6] [--residents 8000]

A fresh database gets the demo city (`seed_demo`): verified residents, the petitions demo (two
initiatives collecting signatures) and the referendums demo (an online vote open now, whose frozen
electorate holds every elector). Each resident gets an API token. The web server (granian) serves
on loopback; the load comes from separate processes. Signing and casting run alternately, three times each, each run with
residents who have not yet signed or voted (first signatures, first votes); the figure is the
ratio of the medians. A raw single-row INSERT baseline (psycopg, 16 clients) is printed too.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (
    Request,
    fresh_database,
    load,
    main_guard,
    median,
    raw_insert_tps,
    report,
    run_manage,
    web_server,
)

TARGET = 0.8
PROCESSES = 2
THREADS = 8

SETUP = r"""
import json, secrets
from civic.services.tokens import api_tokens_issue_bulk
from civic.models import User
from petitions.models import Initiative
from referendums.models import Campaign
users = list(User.objects.filter(email__startswith="resident-", register_entry__isnull=False)
             .order_by("email")[200:])
tokens = api_tokens_issue_bulk(users)
campaign = Campaign.objects.get(subject_key="demo-velo")
print(json.dumps({
    "tokens": [tokens[u.pk] for u in users],
    "initiatives": list(Initiative.objects.filter(status="collecting").values_list("pk", flat=True)),
    "campaign": campaign.pk,
    "question": campaign.questions.get().pk,
}))
"""


def main() -> None:
    main_guard()
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=6)
    parser.add_argument("--residents", type=int, default=8000)
    args = parser.parse_args()

    url = fresh_database("civic_referendums_bench_w6")
    run_manage(
        url,
        "seed_demo",
        "--entries",
        str(args.residents * 3 // 2),
        "--residents",
        str(args.residents),
    )
    setup = json.loads(run_manage(url, "shell", "-c", SETUP).strip().splitlines()[-1])
    tokens: list[str] = setup["tokens"]
    initiatives: list[int] = setup["initiatives"]
    assert initiatives, "the petitions demo has no collecting initiative"
    groups = [tokens[i::6] for i in range(6)]  # sign, cast x3: never the same resident

    def sign_requests(group: list[str]) -> list[list[Request]]:
        per_process = [group[p::PROCESSES] for p in range(PROCESSES)]
        return [
            [
                Request(
                    "POST",
                    f"/api/v1/initiatives/{initiatives[i % len(initiatives)]}/signatures/",
                    None,
                    (("Authorization", f"Bearer {t}"),),
                )
                for i, t in enumerate(tokens_)
            ]
            for tokens_ in per_process
        ]

    def cast_requests(group: list[str]) -> list[list[Request]]:
        per_process = [group[p::PROCESSES] for p in range(PROCESSES)]
        return [
            [
                Request(
                    "POST",
                    f"/api/v1/referendums/{setup['campaign']}/ballots/",
                    json.dumps(
                        {"choices": {str(setup["question"]): "o1" if i % 3 else "o2"}}
                    ).encode(),
                    (("Authorization", f"Bearer {t}"), ("Content-Type", "application/json")),
                )
                for i, t in enumerate(tokens_)
            ]
            for tokens_ in per_process
        ]

    sign_rps: list[float] = []
    cast_rps: list[float] = []
    details: dict[str, object] = {}
    with web_server(url) as base:
        # Warm up the workers (imports, connections) on both paths.
        load(base, sign_requests(groups[0][:40]), threads=2, seconds=2, max_requests=20)
        load(base, cast_requests(groups[1][:40]), threads=2, seconds=2, max_requests=20)
        for round_ in range(3):
            group_sign, group_cast = groups[2 * round_], groups[2 * round_ + 1]
            signed = load(
                base,
                sign_requests(group_sign[40:]),
                threads=THREADS,
                seconds=args.seconds,
                max_requests=len(group_sign[40:]) // PROCESSES,
            )
            cast = load(
                base,
                cast_requests(group_cast[40:]),
                threads=THREADS,
                seconds=args.seconds,
                max_requests=len(group_cast[40:]) // PROCESSES,
            )
            sign_rps.append(signed.rps)
            cast_rps.append(cast.rps)
            details[f"round{round_}"] = {
                "sign_rps": round(signed.rps, 1),
                "sign_p99_ms": round(signed.percentile(99), 1),
                "sign_statuses": signed.statuses,
                "cast_rps": round(cast.rps, 1),
                "cast_p99_ms": round(cast.percentile(99), 1),
                "cast_statuses": cast.statuses,
            }
    raw = raw_insert_tps(
        url,
        clients=16,
        seconds=3,
        setup="CREATE UNLOGGED TABLE IF NOT EXISTS bench_raw (id bigserial primary key, a bigint, "
        "b bigint, at timestamptz default now())",
        insert="INSERT INTO bench_raw (a, b) VALUES (%s, %s)",
        params=lambda n, i: (n, i),
    )
    ratio = median(cast_rps) / median(sign_rps) if median(sign_rps) else 0.0
    report(
        "W6",
        "cast/s ÷ signatures/s (same run, same stack, first votes and first signatures)",
        ratio,
        f"≥ {TARGET}",
        ratio >= TARGET,
        cast_per_s=round(median(cast_rps), 1),
        sign_per_s=round(median(sign_rps), 1),
        cast_over_raw_insert=round(median(cast_rps) / raw, 4) if raw else None,
        raw_insert_tps=round(raw, 1),
        **details,
    )


if __name__ == "__main__":
    main()
