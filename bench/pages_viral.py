"""W13: the viral mix (PERFORMANCE.md, issue "Pages at viral scale").

256 clients for a minute: 95 % anonymous views of one initiative's page, 5 % form signatures of it
by signed-in residents (the page, the form with its CSRF token, the redirect), against one web
server, with a Celery worker and beat folding the counts every tick. Figures: throughput, p50/p99,
errors, and the age of the count each view showed: a sampler reads the true count (the signature
rows) ten times a second; a view that showed `c` when the true count had already passed `c` for
`a` seconds showed a count `a` seconds old. Targets: 0 errors; p99 ≤ 10 x the `/healthz` p99 of
the same run (same clients, same client code); the count never older than one tick.

`--followers N`: N residents follow the initiative before the run, so the first rung (50
signatures, or `--first-rung`'s) tells them all at once, as on a viral initiative shared with a
"follow" button.

Run: .venv/bin/python bench/pages_viral.py [--duration 60] [--tick 5] [--clients 256]
     [--followers 0] [--first-rung 0]
"""

from __future__ import annotations

import argparse
import bisect
import multiprocessing as mp
import time
import uuid
from typing import Any

from harness import main_guard, report, web_server
from pages_common import (
    Browser,
    Record,
    count_shown,
    drive_flows,
    percentile,
    seed_city,
    sign_with_form,
    worker_and_beat,
)
from petitions_common import analyze, close_connections

PROCESSES = 4
SIGN_EVERY = 20  # 5 %


def _mix_flow(host: str, port: int, item: Any, out: list[Record], state: dict[str, Any]) -> None:
    kind, arg = item
    if kind == "sign":
        browser = Browser(host, port, {"sessionid": arg[0]})
        ok = sign_with_form(browser, arg[1], out)
        out.append(("signature", 200 if ok else 0, 0.0, 0.0, None))  # 0: the flow broke
        browser.close()
        return
    viewer = state.setdefault("viewer", Browser(host, port))
    viewer.cookies.clear()  # an anonymous visitor arriving from a shared link
    t = time.monotonic()
    status, _h, body = viewer.request("GET", arg)
    out.append((kind, status, t, (time.monotonic() - t) * 1000, count_shown(body)))


def _sampler(url: str, initiative_id: int, done: Any, queue: Any) -> None:
    """The true count (signature rows) and the published one, ten times a second."""
    import psycopg

    samples = []
    with psycopg.connect(url, autocommit=True) as conn:
        while not done.is_set():
            row = conn.execute(
                "SELECT (SELECT count(*) FROM petitions_signature WHERE initiative_id = %s),"
                " (SELECT count FROM petitions_initiativecount WHERE initiative_id = %s"
                " AND track = -1)",
                (initiative_id, initiative_id),
            ).fetchone()
            samples.append((time.monotonic(), int(row[0]), int(row[1] or 0)))
            time.sleep(0.1)
    queue.put(samples)


def ages(views: list[Record], samples: list[tuple[float, int, int]]) -> list[float]:
    """For each view, how long before it the true count had passed the count it showed."""
    times = [s[0] for s in samples]
    trues = [s[1] for s in samples]  # never decreases: signatures are only added here
    out = []
    for _kind, _status, t0, _ms, shown in views:
        if shown is None:
            continue
        first_above = bisect.bisect_right(trues, shown)
        if first_above >= len(trues):
            out.append(0.0)
            continue
        out.append(max(0.0, t0 - times[first_above]))
    return out


def follow(initiative_id: int, n: int, *, first_rung: int) -> None:
    """The first `n` bulk residents follow the initiative (as from its page's button): the first
    rung reached then tells every one of them, on top of its signers; `first_rung` (if not 0) is
    that rung's threshold."""
    from django.utils import timezone

    from civic.models import Follow, User
    from petitions.models import TrackRung

    if first_rung:
        TrackRung.objects.filter(track__initiative_id=initiative_id, order=1).update(
            threshold=first_rung
        )

    users = User.objects.filter(email__endswith="@bench.invalid").order_by("id")[:n]
    Follow.objects.bulk_create(
        Follow(
            user=user,
            target_kind="petitions.initiative",
            target_id=initiative_id,
            following=True,
            changed_at=timezone.now(),
        )
        for user in users
    )


def main() -> None:
    main_guard()
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--tick", type=int, default=5, help="CIVIC_TICK_SECONDS (default 5)")
    parser.add_argument("--clients", type=int, default=256)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument(
        "--followers",
        type=int,
        default=0,
        help="residents who follow the initiative before the run (each rung then tells them all)",
    )
    parser.add_argument(
        "--first-rung",
        type=int,
        default=0,
        help="the initiative's first rung (0: its own, 50), reached sooner on a loaded machine",
    )
    args = parser.parse_args()
    city = seed_city(residents=6000, initiatives=1)
    hot = city.initiatives[0]
    follow(hot, args.followers, first_rung=args.first_rung)
    analyze()
    close_connections()
    page = f"/initiatives/{hot}/"
    threads = max(1, args.clients // PROCESSES)
    items = []
    for n in range(200_000):
        if n % SIGN_EVERY == SIGN_EVERY - 1:
            items.append(("sign", (city.sessions[(n // SIGN_EVERY) % len(city.sessions)], hot)))
        else:
            items.append(("view", page))
    per_process = [items[p::PROCESSES] for p in range(PROCESSES)]
    queue = f"pages-{uuid.uuid4().hex[:8]}"
    tick = str(args.tick)
    with (
        worker_and_beat(city.url, queue, CIVIC_TICK_SECONDS=tick),
        web_server(
            city.url, workers=args.workers, CIVIC_TICK_SECONDS=tick, CELERY_TASK_DEFAULT_QUEUE=queue
        ) as base,
    ):
        health = [("healthz", "/healthz")] * 200_000
        drive_flows(base, [[("view", page)] * 5000] * 2, _mix_flow, threads=8, seconds=3)  # warm
        baseline, base_s = drive_flows(
            base, [health] * PROCESSES, _mix_flow, threads=threads, seconds=min(10, args.duration)
        )
        ctx = mp.get_context("fork")
        out, done = ctx.Queue(), ctx.Event()
        sampler = ctx.Process(target=_sampler, args=(city.url, hot, done, out))
        sampler.start()
        records, seconds = drive_flows(
            base, per_process, _mix_flow, threads=threads, seconds=args.duration
        )
        done.set()  # after the last answer: every view is compared with the counts around it
        samples = out.get(timeout=60)
        sampler.join(timeout=10)
    requests = [r for r in records if r[0] not in ("signature",)]
    errors = sum(1 for r in records if r[1] == 0 or r[1] >= 400)
    latencies = [r[3] for r in requests if 0 < r[1] < 400]
    views = [r for r in requests if r[0] == "view"]
    signatures = sum(1 for r in records if r[0] == "signature" and r[1] == 200)
    health_p99 = percentile([r[3] for r in baseline if 0 < r[1] < 400], 99)
    p99 = percentile(latencies, 99)
    view_ages = ages(views, samples)
    oldest = max(view_ages, default=0.0)
    statuses: dict[str, dict[int, int]] = {}
    for kind, status, *_rest in records:
        statuses.setdefault(kind, {})
        statuses[kind][status] = statuses[kind].get(status, 0) + 1
    last = samples[-1] if samples else (0, 0, 0)
    report(
        "W13", "viral mix p99 ÷ /healthz p99 (same clients, same run)",
        p99 / health_p99 if health_p99 else float("inf"),
        "0 errors; ≤ 10; count never older than one tick",
        errors == 0 and p99 <= 10 * health_p99 and oldest <= args.tick,
        clients=args.clients, seconds=round(seconds, 1), requests=len(requests),
        rps=round(len(requests) / seconds, 1), views_per_s=round(len(views) / seconds, 1),
        signatures_per_s=round(signatures / seconds, 1), errors=errors,
        p50_ms=round(percentile(latencies, 50), 2), p99_ms=round(p99, 2),
        healthz_rps=round(len(baseline) / base_s, 1), healthz_p99_ms=round(health_p99, 2),
        tick_s=args.tick, followers=args.followers, first_rung=args.first_rung, count_age_max_s=round(oldest, 2),
        count_age_p99_s=round(percentile(view_ages, 99), 2),
        views_without_count=sum(1 for v in views if v[4] is None),
        true_count_at_end=last[1], published_count_at_end=last[2], statuses=statuses,
    )  # fmt: skip


if __name__ == "__main__":
    main()
