"""Load test: hundreds of concurrent clients sign and vote over loopback against the web server
(granian), PostgreSQL, Redis and a real Celery worker and beat; then every accepted action is
checked to be stored exactly once, every refusal to be a 4xx, and the figures are printed.

    .venv/bin/python tools/loadtest.py                 # bounded (CI): 60 s, 200 clients
    .venv/bin/python tools/loadtest.py --duration 600  # release check

A fresh database `civic_load` gets the demo city (verified residents with API tokens, the collecting
initiatives and the online vote of the demo). Each client process cycles through its residents: it
signs an initiative (repeats are the same answer), casts or re-casts a ballot, and sends a few requests
that must be refused (an unknown option, an unknown initiative). Throttles are lifted (the load is the
point here; tests/faults/test_rate_limits.py tests them). After the load the vote's close is due: the
beat and the worker close it, the count tick folds the counts, and the script checks:

- signatures: one row per (initiative, register entry) that was ever accepted, none for another pair;
  published counts equal the valid rows;
- ballots: the vote closed on the worker; counted ballots == participations == distinct accepted voters;
- 0 server errors (5xx or dropped connections); every refusal a 4xx.

It exits non-zero if a check fails. Only loopback addresses are used; every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from harness import PY, bench_env, fresh_database, run_manage, web_server  # noqa: E402
from loadgen import Request, drive  # noqa: E402
from loadtest_checks import (  # noqa: E402
    Result,
    Tally,
    check_answers,
    check_ballots,
    check_signatures,
    read_before,
)

DB_NAME = os.environ.get("LOADTEST_DB", "civic_load")
BROKER = os.environ.get("LOADTEST_BROKER_URL", "redis://127.0.0.1:6379/7")
CACHE = os.environ.get("LOADTEST_CACHE_URL", "redis://127.0.0.1:6379/6")

SETUP = r"""
import json, secrets
from civic.services.tokens import api_tokens_issue_bulk
from civic.models import User
from petitions.models import Initiative
from referendums.models import Campaign
users = list(User.objects.filter(email__startswith="resident-", register_entry__isnull=False)
             .order_by("email"))
tokens = api_tokens_issue_bulk(users)
campaign = Campaign.objects.get(subject_key="demo-velo")
print(json.dumps({
    "residents": [[tokens[u.pk], u.register_entry_id] for u in users],
    "initiatives": list(Initiative.objects.filter(status="collecting").values_list("pk", flat=True)),
    "campaign": campaign.pk,
    "question": campaign.questions.get().pk,
}))
"""

# One request: (kind, key, method, path, body, token). `key` names what an acceptance stores.
Action = tuple[str, str, str, str, bytes | None, str]


def actions_for(setup: dict[str, Any], residents: list[list[Any]], seed: int) -> list[Action]:
    initiatives: list[int] = setup["initiatives"]
    campaign, question = setup["campaign"], str(setup["question"])
    out: list[Action] = []
    for n, (token, entry_id) in enumerate(residents):
        initiative = initiatives[(n + seed) % len(initiatives)]
        out.append(
            (
                "sign",
                f"{initiative}:{entry_id}",
                "POST",
                f"/api/v1/initiatives/{initiative}/signatures/",
                None,
                token,
            )
        )
        choice = "o1" if (n + seed) % 3 else "o2"
        body = json.dumps({"choices": {question: choice}}).encode()
        out.append(
            ("vote", str(entry_id), "POST", f"/api/v1/referendums/{campaign}/ballots/", body, token)
        )
        if n % 10 == 0:  # requests that must be refused, with a 4xx
            bad = json.dumps({"choices": {question: "perhaps"}}).encode()
            out.append(
                ("bad_vote", "", "POST", f"/api/v1/referendums/{campaign}/ballots/", bad, token)
            )
            out.append(
                ("bad_sign", "", "POST", "/api/v1/initiatives/999999999/signatures/", None, token)
            )
    return out


def as_request(action: Action) -> Request:
    _kind, _key, method, path, body, token = action
    headers = [("Authorization", f"Bearer {token}")]
    if body is not None:
        headers.append(("Content-Type", "application/json"))
    return Request(method, path, body, tuple(headers))


def load(
    base: str, per_process: list[list[Action]], threads: int, seconds: float
) -> tuple[list[Result], float]:
    """The load (bench/loadgen.py, the benchmarks' generator): each answer with its action's kind
    and key."""
    requests = [[as_request(a) for a in actions] for actions in per_process]
    answers, elapsed = drive(base, requests, threads=threads, seconds=seconds)
    results = [
        (actions[i][0], actions[i][1], status, ms)
        for actions, process in zip(per_process, answers, strict=True)
        for i, status, ms in process
    ]
    return results, elapsed


def celery(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [PY, "-m", "celery", "-A", "config", *args, "--loglevel", "WARNING"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--processes", type=int, default=4, help="client processes (default 4)")
    parser.add_argument("--threads", type=int, default=50, help="clients per process (default 50)")
    parser.add_argument(
        "--residents", type=int, default=3000, help="verified residents (default 3000)"
    )
    parser.add_argument("--web-workers", type=int, default=3)
    args = parser.parse_args()
    args.duration = min(max(args.duration, 1.0), 3600.0)  # bounded, whatever is asked
    return args


@dataclass
class Setup:
    url: str
    setup: dict[str, Any]
    per_process: list[list[Action]]
    seconds: float


def seed(args: argparse.Namespace) -> Setup:
    """A fresh database with the demo city, tokens for its residents, and each process's actions."""
    t0 = time.monotonic()
    url = fresh_database(DB_NAME)
    run_manage(
        url,
        "seed_demo",
        "--entries",
        str(args.residents * 3 // 2),
        "--residents",
        str(args.residents),
    )
    setup = json.loads(run_manage(url, "shell", "-c", SETUP).strip().splitlines()[-1])
    residents = setup["residents"]
    assert setup["initiatives"], "the petitions demo has no collecting initiative"
    per_process = [
        actions_for(setup, residents[p :: args.processes], seed=p) for p in range(args.processes)
    ]
    return Setup(url, setup, per_process, time.monotonic() - t0)


def django_in_process(env: dict[str, str]) -> None:
    """This process reads the database for the checks, with the load's settings."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django  # here: only once the environment names the load's database and broker

    django.setup()


@contextmanager
def workers(env: dict[str, str], queue: str) -> Iterator[None]:
    """A Celery worker on the load's private queues (the default one and its bulk queue,
    config/queues.py) and the beat; both stopped, the queues deleted."""
    from config.celery import app as celery_app  # needs django_in_process() first
    from config.queues import task_queues, worker_queues

    schedule = Path(tempfile.mkdtemp(prefix="civic-load-")) / "beat"
    worker = celery(
        env,
        "worker",
        "-Q",
        worker_queues(queue),
        "--concurrency",
        "2",
        "--without-gossip",
        "--without-mingle",
    )
    beat = celery(env, "beat", "-s", str(schedule))
    try:
        yield
    finally:
        stop(beat)
        stop(worker)
        try:
            with celery_app.connection_for_write() as conn:
                for declared in task_queues(queue):
                    conn.default_channel.queue_delete(declared.name)
        except Exception:  # noqa: S110 - best effort clean-up of a private queue
            pass


def close_vote(campaign_id: int, queue: str) -> Any:
    """The vote's close is due now: the beat (every 30 s) and a nudge of our own let the worker
    close it. Returns the campaign as it then is."""
    from django.utils import timezone  # needs django_in_process() first

    from config.celery import app as celery_app
    from referendums.models import Campaign

    Campaign.objects.filter(pk=campaign_id).update(voting_closes_at=timezone.now())
    celery_app.send_task("referendums.tasks.advance_campaigns", queue=queue)
    deadline = time.monotonic() + 120
    while Campaign.objects.get(pk=campaign_id).status == "voting" and time.monotonic() < deadline:
        time.sleep(0.5)
    return Campaign.objects.get(pk=campaign_id)


def figures(
    args: argparse.Namespace,
    setup: Setup,
    results: list[Result],
    seconds: float,
    tally: Tally,
    checked: dict[str, Any],
) -> dict[str, Any]:
    return {
        "duration_s": round(seconds, 1),
        "clients": args.processes * args.threads,
        "requests": len(results),
        "rps": round(len(results) / seconds, 1) if seconds else 0.0,
        "accepted": len(tally.accepted),
        "accepted_by_kind": {
            k: sum(n for s, n in c.items() if 200 <= s < 300) for k, c in tally.by_kind.items()
        },
        "refused_by_code": {str(k): v for k, v in sorted(tally.statuses.items()) if k >= 400},
        "server_errors": tally.server_errors,
        "p50_ms": round(percentile(tally.latencies, 50), 1),
        "p99_ms": round(percentile(tally.latencies, 99), 1),
        **checked,
        "setup_s": round(setup.seconds, 1),
        "ok": not tally.failures,
        "failures": tally.failures,
    }


def main() -> int:
    args = parse_args()
    setup = seed(args)
    queue = f"load-{uuid.uuid4().hex[:8]}"
    env = bench_env(
        setup.url,
        CELERY_BROKER_URL=BROKER,
        CACHE_URL=CACHE,
        CELERY_TASK_DEFAULT_QUEUE=queue,
        CIVIC_TICK_SECONDS="2",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    django_in_process(env)
    from django.db import connection  # needs django_in_process() first

    campaign_id = setup.setup["campaign"]
    before = read_before(campaign_id)
    connection.close()
    with workers(env, queue):
        with web_server(
            setup.url,
            workers=args.web_workers,
            CELERY_BROKER_URL=BROKER,
            CACHE_URL=CACHE,
            CELERY_TASK_DEFAULT_QUEUE=queue,
            LOG_LEVEL="ERROR",  # the deliberate 4xx would flood the log; 5xx are still logged
        ) as base:
            results, seconds = load(base, setup.per_process, args.threads, args.duration)
        campaign = close_vote(campaign_id, queue)
        tally = Tally.of(results)
        check_answers(tally)
        rows = check_signatures(tally, before)
        participations, ballots = check_ballots(tally, before, campaign)
        connection.close()
    checked = {
        "signatures_stored": sum(rows.values()),
        "distinct_signers_accepted": len({key for k, key in tally.accepted if k == "sign"}),
        "participations": participations,
        "ballots_counted": ballots,
        "vote_status": campaign.status,
    }
    print("LOADTEST " + json.dumps(figures(args, setup, results, seconds, tally, checked)))
    return 0 if not tally.failures else 1


if __name__ == "__main__":
    sys.exit(main())
