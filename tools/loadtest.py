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
import http.client
import json
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from harness import PY, bench_env, fresh_database, run_manage, web_server  # noqa: E402

DB_NAME = os.environ.get("LOADTEST_DB", "civic_load")
BROKER = os.environ.get("LOADTEST_BROKER_URL", "redis://127.0.0.1:6379/7")
CACHE = os.environ.get("LOADTEST_CACHE_URL", "redis://127.0.0.1:6379/6")

SETUP = r"""
import json, secrets
from rest_framework.authtoken.models import Token
from civic.models import User
from petitions.models import Initiative
from referendums.models import Campaign
users = list(User.objects.filter(email__startswith="resident-", register_entry__isnull=False)
             .order_by("email"))
Token.objects.bulk_create([Token(user=u, key=secrets.token_hex(20)) for u in users],
                          ignore_conflicts=True, batch_size=2000)
tokens = dict(Token.objects.filter(user__in=users).values_list("user_id", "key"))
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
        choice = "yes" if (n + seed) % 3 else "no"
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


def _client_process(
    port: int, actions: list[Action], threads: int, stop_at: float, queue: Any
) -> None:
    lock = threading.Lock()
    cursor = [0]
    results: list[tuple[str, str, int, float]] = []

    def run() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        local: list[tuple[str, str, int, float]] = []
        while time.monotonic() < stop_at:
            with lock:
                i = cursor[0]
                cursor[0] += 1
            kind, key, method, path, body, token = actions[i % len(actions)]
            headers = {"Authorization": f"Bearer {token}"}
            if body is not None:
                headers["Content-Type"] = "application/json"
            start = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = 599  # a dropped connection counts as a server error
            local.append((kind, key, status, (time.perf_counter() - start) * 1000))
        conn.close()
        with lock:
            results.extend(local)

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    queue.put(results)


def drive(
    base: str, per_process: list[list[Action]], threads: int, seconds: float
) -> tuple[list[tuple[str, str, int, float]], float]:
    port = int(base.rsplit(":", 1)[1])
    ctx = mp.get_context("fork")
    queue: Any = ctx.Queue()
    start = time.monotonic()
    procs = [
        ctx.Process(target=_client_process, args=(port, acts, threads, start + seconds, queue))
        for acts in per_process
    ]
    for p in procs:
        p.start()
    collected: list[tuple[str, str, int, float]] = []
    for _ in procs:
        collected.extend(queue.get(timeout=seconds + 120))
    for p in procs:
        p.join(timeout=30)
    return collected, time.monotonic() - start


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


def main() -> int:
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
    setup_s = time.monotonic() - t0

    queue = f"load-{uuid.uuid4().hex[:8]}"
    env = bench_env(
        url,
        CELERY_BROKER_URL=BROKER,
        CACHE_URL=CACHE,
        CELERY_TASK_DEFAULT_QUEUE=queue,
        CIVIC_TICK_SECONDS="2",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from config.celery import app as celery_app
    from petitions.models import TOTAL_TRACK, InitiativeCount, Signature
    from referendums.models import Ballot, Campaign, Participation

    failures: list[str] = []
    campaign_id = setup["campaign"]
    # The demo content holds signatures and votes already: what the load adds is compared to it.
    pairs_before = {
        f"{i}:{e}" for i, e in Signature.objects.values_list("initiative_id", "register_entry_id")
    }
    voters_before = {
        str(e)
        for e in Participation.objects.filter(campaign_id=campaign_id).values_list(
            "register_entry_id", flat=True
        )
    }
    connection.close()
    schedule = Path(tempfile.mkdtemp(prefix="civic-load-")) / "beat"
    worker = celery(
        env, "worker", "-Q", queue, "--concurrency", "2", "--without-gossip", "--without-mingle"
    )
    beat = celery(env, "beat", "-s", str(schedule))
    try:
        with web_server(
            url,
            workers=args.web_workers,
            CELERY_BROKER_URL=BROKER,
            CACHE_URL=CACHE,
            CELERY_TASK_DEFAULT_QUEUE=queue,
            LOG_LEVEL="ERROR",  # the deliberate 4xx would flood the log; 5xx are still logged
        ) as base:
            results, seconds = drive(base, per_process, args.threads, args.duration)

        # The vote's close is due now: the beat (every 30 s) and a nudge of our own let the worker
        # close it; the count tick (every 2 s) folds the last signatures.
        Campaign.objects.filter(pk=campaign_id).update(voting_closes_at=timezone.now())
        celery_app.send_task("referendums.tasks.advance_campaigns", queue=queue)
        deadline = time.monotonic() + 120
        while (
            Campaign.objects.get(pk=campaign_id).status == "voting" and time.monotonic() < deadline
        ):
            time.sleep(0.5)
        campaign = Campaign.objects.get(pk=campaign_id)

        statuses = Counter(status for _k, _key, status, _ms in results)
        by_kind = {
            k: Counter(s for kk, _key, s, _ms in results if kk == k)
            for k in ("sign", "vote", "bad_sign", "bad_vote")
        }
        server_errors = sum(n for s, n in statuses.items() if s >= 500)
        accepted = [(k, key) for k, key, s, _ms in results if 200 <= s < 300]
        signed_pairs = {key for k, key in accepted if k == "sign"}
        voters = {key for k, key in accepted if k == "vote"}
        refused = {s: n for s, n in statuses.items() if s >= 400}
        latencies = [ms for _k, _key, s, ms in results if s < 500]

        if server_errors:
            failures.append(f"{server_errors} server errors or dropped connections")
        if any(s < 400 or s >= 500 for k in ("bad_sign", "bad_vote") for s in by_kind[k]):
            failures.append("a request that must be refused was not refused with a 4xx")
        if any(200 <= s < 300 for k in ("bad_sign", "bad_vote") for s in by_kind[k]):
            failures.append("an invalid request was accepted")

        # Signatures: exactly one row per accepted (initiative, entry), none other.
        rows = Counter(
            f"{i}:{e}"
            for i, e in Signature.objects.values_list("initiative_id", "register_entry_id")
        )
        if any(n != 1 for n in rows.values()):
            failures.append("a signature is stored twice")
        if not signed_pairs <= set(rows):
            failures.append(f"{len(signed_pairs - set(rows))} accepted signatures are missing")
        if not set(rows) - pairs_before <= signed_pairs:
            failures.append("a signature is stored that no accepted request made")
        # Published counts catch up within a few ticks and equal the valid rows.
        deadline = time.monotonic() + 60
        while True:
            published = dict(
                InitiativeCount.objects.filter(track=TOTAL_TRACK).values_list(
                    "initiative_id", "count"
                )
            )
            actual = Counter(Signature.objects.values_list("initiative_id", flat=True))
            if (
                all(published.get(i, 0) == n for i, n in actual.items())
                or time.monotonic() > deadline
            ):
                break
            time.sleep(0.5)
        if any(published.get(i, 0) != n for i, n in actual.items()):
            failures.append(f"published counts {published} differ from the rows {dict(actual)}")

        # Ballots: closed by the worker, counted == participations == distinct accepted voters.
        participations = Participation.objects.filter(campaign_id=campaign_id).count()
        all_voters = voters_before | voters
        ballots = Ballot.objects.filter(campaign_id=campaign_id).count()
        counted = (campaign.results or {}).get("participations")
        if campaign.status != "closed":
            failures.append(f"the vote did not close on the worker (status {campaign.status})")
        if not (participations == ballots == len(all_voters)):
            failures.append(
                f"participations {participations}, ballots {ballots}, voters {len(all_voters)}"
            )
        if counted is not None and counted != participations:
            failures.append(f"counted participations {counted} != {participations}")
        connection.close()
    finally:
        stop(beat)
        stop(worker)
        try:
            with celery_app.connection_for_write() as conn:
                conn.default_channel.queue_delete(queue)
        except Exception:  # noqa: S110 - best effort clean-up of a private queue
            pass

    figures = {
        "duration_s": round(seconds, 1),
        "clients": args.processes * args.threads,
        "requests": len(results),
        "rps": round(len(results) / seconds, 1) if seconds else 0.0,
        "accepted": len(accepted),
        "accepted_by_kind": {
            k: sum(n for s, n in c.items() if 200 <= s < 300) for k, c in by_kind.items()
        },
        "refused_by_code": {str(k): v for k, v in sorted(refused.items())},
        "server_errors": server_errors,
        "p50_ms": round(percentile(latencies, 50), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "signatures_stored": sum(rows.values()),
        "distinct_signers_accepted": len(signed_pairs),
        "participations": participations,
        "ballots_counted": ballots,
        "vote_status": campaign.status,
        "setup_s": round(setup_s, 1),
        "ok": not failures,
        "failures": failures,
    }
    print("LOADTEST " + json.dumps(figures))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
