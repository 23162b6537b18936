"""W7: tally of 1M online ballots ÷ a raw GROUP BY over the same ballots, same run.

    .venv/bin/python bench/referendums_w7_tally.py [--ballots 1000000]

Builds a closed online vote with N electors, N participations, their turnout slots and N
ballots (plain SQL, generate_series), then times `tally_compute` (the whole count: ballots grouped in SQL, the
participation checks, per-district tables with small-cell suppression) against the raw
`SELECT district_code, choices, count(*) ... GROUP BY` it is built on. Also checks that the
number of queries is the same at N/10 and N (constant query count).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import bench_env, fresh_database, main_guard, median, report

TARGET = 1.5


def build(ballots: int, campaign_id: int, cursor) -> None:  # type: ignore[no-untyped-def]
    cursor.execute(
        """
        INSERT INTO civic_registerentry (ref, kind, last_name, first_names, birth_date, address,
            postcode, district_id, roll_number, identity_hash, active, struck_off_reason,
            imported_at, updated_at)
        SELECT 'W7-' || %s || '-' || g, 'elector', 'Nom', 'Prénom', DATE '1970-01-01', 'adresse',
            '86000', (SELECT id FROM civic_district ORDER BY id OFFSET (g %% 8) LIMIT 1),
            'W7-' || %s || '-' || g, md5(g::text), true, '', now(), now()
        FROM generate_series(1, %s) g
        """,
        [campaign_id, campaign_id, ballots],
    )
    cursor.execute(
        """
        INSERT INTO referendums_electoratemember (campaign_id, register_entry_id, district_id)
        SELECT %s, id, district_id FROM civic_registerentry WHERE ref LIKE %s
        """,
        [campaign_id, f"W7-{campaign_id}-%"],
    )
    cursor.execute(
        """
        INSERT INTO referendums_participation (campaign_id, register_entry_id, voted_at, sealed_ref)
        SELECT campaign_id, register_entry_id, now(), NULL
        FROM referendums_electoratemember WHERE campaign_id = %s
        """,
        [campaign_id],
    )
    cursor.execute(
        """
        INSERT INTO referendums_ballot (id, campaign_id, choices, district_code)
        SELECT gen_random_uuid(), %s,
               '{"' || q.id || '":"' || (CASE WHEN random() < 0.55 THEN 'o1' ELSE 'o2' END) || '"}',
               d.code
        FROM referendums_electoratemember m
        JOIN civic_district d ON d.id = m.district_id
        CROSS JOIN (SELECT id FROM referendums_question WHERE campaign_id = %s) q
        WHERE m.campaign_id = %s
        """,
        [campaign_id, campaign_id, campaign_id],
    )
    cursor.execute(
        """
        INSERT INTO referendums_turnoutslot (campaign_id, district_code, slot, participations)
        SELECT %s, d.code, 0, count(*)
        FROM referendums_electoratemember m JOIN civic_district d ON d.id = m.district_id
        WHERE m.campaign_id = %s GROUP BY d.code
        """,
        [campaign_id, campaign_id],
    )
    cursor.execute("ANALYZE")


def main() -> None:
    main_guard()
    parser = argparse.ArgumentParser()
    parser.add_argument("--ballots", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    url = fresh_database("civic_referendums_bench_w7")
    os.environ.update(bench_env(url))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from civic.models import District
    from referendums.models import Ballot, Campaign, Option, Question
    from referendums.services.tally import tally_compute

    for i in range(8):
        District.objects.get_or_create(code=f"w7-{i}", defaults={"name": f"Quartier W7 {i}"})

    def campaign_with(n: int) -> Campaign:
        now = timezone.now()
        campaign = Campaign.objects.create(
            kind="online_vote",
            title_fr=f"W7 {n}",
            cutoff_date=now.date(),
            campaign_opens_at=now - timezone.timedelta(days=3),
            voting_opens_at=now - timezone.timedelta(days=2),
            voting_closes_at=now - timezone.timedelta(days=1),
        )
        # Questions are written while it is a draft: the database freezes them from scheduling on.
        question = Question.objects.create(campaign=campaign, position=1, text_fr="Q ?")
        Option.objects.create(
            question=question, key="o1", meaning="yes", position=1, label_fr="Oui"
        )
        Option.objects.create(question=question, key="o2", meaning="no", position=2, label_fr="Non")
        Campaign.objects.filter(pk=campaign.pk).update(
            status="closed", opened_at=now, closed_at=now
        )
        with connection.cursor() as cursor:
            build(n, campaign.pk, cursor)
        by_district: dict[str, int] = {}
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT d.code, count(*) FROM referendums_electoratemember m "
                "JOIN civic_district d ON d.id = m.district_id WHERE m.campaign_id = %s GROUP BY 1",
                [campaign.pk],
            )
            by_district = dict(cursor.fetchall())
        Campaign.objects.filter(pk=campaign.pk).update(
            electorate_count=n, electorate_districts=by_district, electorate_frozen_at=now
        )
        campaign.refresh_from_db()
        return campaign

    def raw_group_by(campaign: Campaign) -> float:
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT district_code, choices, count(*) FROM referendums_ballot "
                "WHERE campaign_id = %s GROUP BY 1, 2",
                [campaign.pk],
            )
            cursor.fetchall()
        return time.perf_counter() - start

    def tally(campaign: Campaign) -> tuple[float, int, dict]:
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            results = tally_compute(campaign=campaign)
            elapsed = time.perf_counter() - start
        return elapsed, len(queries.captured_queries), results

    small = campaign_with(max(args.ballots // 10, 1000))
    big = campaign_with(args.ballots)
    assert Ballot.objects.filter(campaign=big).count() == args.ballots

    _, small_queries, _ = tally(small)
    raw_times, tally_times = [], []
    big_queries = 0
    for _ in range(args.repeat):
        raw_times.append(raw_group_by(big))
        elapsed, big_queries, results = tally(big)
        tally_times.append(elapsed)
    if os.environ.get("W7_PROFILE"):
        with CaptureQueriesContext(connection) as queries:
            tally_compute(campaign=big)
        for q in queries.captured_queries:
            print(q["time"], q["sql"][:150])
    assert results["ballots"] == args.ballots
    # For information: the other O(N) steps of the close (not part of the tally figure).
    from django.db import transaction

    from referendums.services.tally import ballots_reshuffle, box_digests

    with transaction.atomic():
        start = time.perf_counter()
        ballots_reshuffle(campaign=big)
        reshuffle_s = time.perf_counter() - start
    start = time.perf_counter()
    box_digests(big, results["header"], results["box_tally"])
    digests_s = time.perf_counter() - start
    ratio = median(tally_times) / median(raw_times)
    report(
        "W7",
        "tally time ÷ raw GROUP BY (same ballots, same run)",
        ratio,
        f"≤ {TARGET}, constant query count",
        ratio <= TARGET and small_queries == big_queries,
        ballots=args.ballots,
        tally_s=round(median(tally_times), 3),
        raw_group_by_s=round(median(raw_times), 3),
        queries_at_n_over_10=small_queries,
        queries_at_n=big_queries,
        close_reshuffle_s=round(reshuffle_s, 3),
        close_digests_s=round(digests_s, 3),
    )


if __name__ == "__main__":
    main()
