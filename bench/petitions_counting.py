"""W3 and W4: counting after a burst, and the deadline/threshold checks at scale (PERFORMANCE.md).

W3  time to bring every published count up to date after a burst ÷ a raw GROUP BY over the same
    new signature rows; target ≤ 3, and the fold of one tick at 1,000 signatures/s well within a tick.
W4  the per-tick checks (close due initiatives, fold, act on rung crossings) with 10,000 open
    initiatives: time at 20M signatures ÷ time at 2M; target ≤ 1.2, each run ≤ 50 ms, and every
    crossing acted on exactly once with two workers racing.

The bursts are loaded in SQL (INSERT ... SELECT) with the slot deltas that the signing statement
would have added from WRITERS connections (their sum per initiative, track and slot: the fold only
sees sums), so that tens of millions of rows load in minutes.

W3 is timed like for like: the same new rows, the same 1,000 initiatives, and both sides warm
(the median of five runs; the fold's runs are rolled back so that each finds the same slots), their
first runs after the load given beside. An earlier version timed one cold fold against five warm
GROUP BYs, and the first read of freshly loaded rows pays for setting their hint bits.

Run: .venv/bin/python bench/petitions_counting.py [--big 20000000 --small 2000000] [--w3-only]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

from harness import main_guard, report
from petitions_common import analyze, close_connections, fresh, make_initiatives, make_residents

_LOAD_SQL = """
INSERT INTO petitions_signature (initiative_id, register_entry_id, identity_hash, channel, created_at,
  track_mask, facts, district_id, quarter_key, entered_by_id)
SELECT i.id, e.id, e.identity_hash, 'online', now(), %(mask)s, '{"resident_16": true}'::jsonb,
       e.district_id, NULL, NULL
FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM petitions_initiative
      WHERE id BETWEEN %(first)s AND %(last)s) AS i
CROSS JOIN (SELECT id, identity_hash, district_id, row_number() OVER (ORDER BY id) - 1 AS n
            FROM civic_registerentry) AS e
WHERE e.n >= %(from_entry)s AND e.n < %(to_entry)s
"""

_SLOTS_SQL = """
INSERT INTO petitions_signaturecountslot (initiative_id, mask, slot, delta)
SELECT s.initiative_id, s.track_mask, (s.id %% %(writers)s)::smallint, count(*)
FROM petitions_signature s
WHERE s.id > %(watermark)s
GROUP BY 1, 2, 3
ON CONFLICT (initiative_id, mask, slot)
DO UPDATE SET delta = petitions_signaturecountslot.delta + excluded.delta
"""

_GROUP_BY_SQL = """
SELECT initiative_id, count(*), count(*) FILTER (WHERE track_mask & 1 <> 0),
       count(*) FILTER (WHERE track_mask & 2 <> 0)
FROM petitions_signature WHERE id > %(watermark)s GROUP BY initiative_id
"""


# Signing writes to its connection's slot: as many slot rows per track as writing connections
# (the web server threads of the W1 run).
WRITERS = 5


def _exec(sql: str, params: dict) -> list:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def _watermark() -> int:
    return int(_exec("SELECT coalesce(max(id), 0) FROM petitions_signature", {})[0][0])


def _burst(
    initiatives: list[int], per_initiative: int, entry_offset: int, mask: int = 3
) -> tuple[int, float]:
    """Load `per_initiative` new signatures on each initiative; returns the watermark before."""
    mark = _watermark()
    began = time.perf_counter()
    _exec(
        _LOAD_SQL,
        {
            "mask": mask,
            "first": initiatives[0],
            "last": initiatives[-1],
            "from_entry": entry_offset,
            "to_entry": entry_offset + per_initiative,
        },
    )
    _exec(_SLOTS_SQL, {"watermark": mark, "writers": WRITERS})
    return mark, time.perf_counter() - began


def _time(fn, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


class _RolledBack(Exception):
    pass


def _fold_rolled_back() -> None:
    """The whole fold (lock, statement, event) in a transaction then rolled back: the slots stay
    for the next run, so the fold can be timed warm like the GROUP BY (its commit-time cache
    deletions are not in it: a few milliseconds, in the committed fold below)."""
    from django.db import transaction

    from petitions import services

    try:
        with transaction.atomic():
            services.counts_fold()
            raise _RolledBack
    except _RolledBack:
        pass


def w3(initiatives: list[int], per_initiative: int, entry_offset: int) -> dict:
    """Like for like: the same new rows (the burst's), the same initiatives, and each side timed
    both ways: its first run after the load (cold: the new rows' hint bits are set by whoever
    reads them first), and the median of five warm runs, which the figure compares."""
    from petitions import services

    mark, _load = _burst(initiatives, per_initiative, entry_offset)
    _exec("ANALYZE petitions_signature", {})
    _exec("ANALYZE petitions_signaturecountslot", {})
    group_by_first = _time(lambda: _exec(_GROUP_BY_SQL, {"watermark": mark}), repeat=1)
    group_by = _time(lambda: _exec(_GROUP_BY_SQL, {"watermark": mark}))
    fold_first = _time(_fold_rolled_back, repeat=1)
    fold_warm = _time(_fold_rolled_back)
    began = time.perf_counter()
    touched = services.counts_fold()
    fold = time.perf_counter() - began
    began = time.perf_counter()
    services.rungs_evaluate(initiative_ids=touched)
    rungs = time.perf_counter() - began
    return {
        "signatures": per_initiative * len(initiatives),
        "fold_s": fold_warm,
        "fold_committed_s": fold,
        "fold_first_s": fold_first,
        "group_by_s": group_by,
        "group_by_first_s": group_by_first,
        "rungs_s": rungs,
        "touched": len(touched),
    }


def _check_run() -> float:
    from petitions import services, tasks

    began = time.perf_counter()
    tasks.close_due_initiatives()
    services.counts_tick()
    return time.perf_counter() - began


def main() -> None:
    main_guard()
    parser = argparse.ArgumentParser()
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=2_000_000)
    parser.add_argument("--big", type=int, default=20_000_000)
    parser.add_argument("--w3-only", action="store_true", help="W3 alone (minutes, not an hour)")
    args = parser.parse_args()
    fresh()
    per_small = args.small // args.open
    per_big = args.big // args.open
    make_residents(661 if args.w3_only else max(per_big, 661) + 1, prefix="w")
    initiatives = make_initiatives(
        args.open, slugs=("interpellation-charte", "consultation-l1112-16")
    )
    from petitions.models import TrackRung

    # Thresholds out of reach for the scaling runs: the checks then measure pure overhead.
    TrackRung.objects.update(threshold=10**9)
    analyze()

    # A worker runs for days: warm its connections (database, cache) and statements first.
    from django.core.cache import cache

    from petitions import services

    cache.get("warm-up")
    _burst(make_initiatives(1, slugs=("interpellation-charte", "consultation-l1112-16")), 1, 0)
    services.counts_fold()

    # W3: one tick at 1,000 signatures/s (60,000 new signatures over 1,000 initiatives), then a
    # bigger burst (600,000) to show the fold grows with touched counts, not signatures.
    tick = w3(initiatives[:1000], 60, 0)
    big = w3(initiatives[:1000], 600, 60)
    for name, r in (("tick", tick), ("burst", big)):
        ratio = r["fold_s"] / r["group_by_s"]
        report(
            "W3",
            f"fold ÷ raw GROUP BY over the same new rows, both warm, median of 5 ({name}: {r['signatures']:,} signatures)",
            ratio,
            "≤ 3; lag ≤ 2 ticks",
            ratio <= 3 and r["fold_s"] < 60,
            fold_ms=round(r["fold_s"] * 1000, 1),
            group_by_ms=round(r["group_by_s"] * 1000, 1),
            fold_committed_ms=round(r["fold_committed_s"] * 1000, 1),
            first_runs_ms={
                "fold": round(r["fold_first_s"] * 1000, 1),
                "group_by": round(r["group_by_first_s"] * 1000, 1),
            },
            rungs_ms=round(r["rungs_s"] * 1000, 1),
            initiatives_touched=r["touched"],
        )

    if args.w3_only:
        return

    # W4: bring every open initiative to the small size, time the checks, then to the big size.

    have = {i: (660 if n < 1000 else 0) for n, i in enumerate(initiatives)}

    def grow_to(per: int) -> float:
        """Give every open initiative `per` signatures (entries have[i]..per-1), then fold."""
        began = time.perf_counter()
        for start in range(0, len(initiatives), 1000):
            chunk = initiatives[start : start + 1000]
            already = have[chunk[0]]
            if per > already:
                _burst(chunk, per - already, already)
                for i in chunk:
                    have[i] = per
        services.counts_fold()
        _exec("VACUUM ANALYZE petitions_signaturecountslot", {})
        _exec("ANALYZE", {})
        return time.perf_counter() - began

    load_small = grow_to(per_small)
    first_small = (
        _check_run()
    )  # the first run after a bulk load of millions of rows: reported apart
    runs_small = [_check_run() for _ in range(9)]
    load_big = grow_to(per_big)
    first_big = _check_run()
    runs_big = [_check_run() for _ in range(9)]
    from petitions.models import Signature

    total = Signature.objects.count()
    sweep = _time(services.rungs_sweep, repeat=3)
    small, large = statistics.median(runs_small), statistics.median(runs_big)
    report(
        "W4",
        f"check run at {total:,} ÷ at {args.small:,} signatures ({args.open:,} open initiatives)",
        large / small,
        "≤ 1.2; each run ≤ 50 ms",
        large / small <= 1.2 and max(runs_small + runs_big) <= 0.05,
        median_ms_small=round(small * 1000, 2),
        median_ms_big=round(large * 1000, 2),
        max_ms=round(max(runs_small + runs_big) * 1000, 2),
        load_s_small=round(load_small, 1),
        load_s_big=round(load_big, 1),
        sweep_all_open_ms=round(sweep * 1000, 2),
        first_run_after_bulk_load_ms=[round(first_small * 1000, 1), round(first_big * 1000, 1)],
    )

    # Exactly once: 200 initiatives cross their first rung; two workers run the tick at once.
    from civic.models import AuditEntry
    from petitions.models import InitiativeCount, Obligation

    crossing = initiatives[-200:]
    TrackRung.objects.filter(track__initiative_id__in=crossing, track__position=0, order=1).update(
        threshold=per_big + 1
    )
    _burst(crossing, 1, per_big, mask=1)
    close_connections()
    barrier = threading.Barrier(2)
    created: list[int] = []

    def worker() -> None:
        from django.db import connection

        try:
            barrier.wait()
            created.append(services.counts_tick()["obligations"])
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    obligations = Obligation.objects.filter(initiative_id__in=crossing).count()
    audits = AuditEntry.objects.filter(verb="initiative.rung_reached").count()
    exact = InitiativeCount.objects.filter(
        initiative_id__in=crossing, track=0, count=per_big + 1
    ).count()
    ok = obligations == 200 and audits == 200 and sum(created) == 200 and exact == 200
    report(
        "W4",
        "crossings acted on exactly once (two workers racing)",
        float(obligations),
        "200 obligations, 200 audit entries",
        ok,
        per_worker=created,
        audits=audits,
    )


if __name__ == "__main__":
    main()
