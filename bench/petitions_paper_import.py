"""W8: verification and entry of paper signatures in bulk (PERFORMANCE.md).

rows/s of `paper_signatures_import` (look-up in the register, eligibility, quarter limit, guarded
insert, rejection register, count slots) ÷ rows/s of a plain ORM `bulk_create` of the same
Signature rows (no verification), same table, same run; target ≥ 0.3, memory flat in N (peak RSS
growth measured at 10 % and at 100 % of the stream).

Run: .venv/bin/python bench/petitions_paper_import.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Iterator
from datetime import date

from harness import main_guard, report
from petitions_common import analyze, fresh, make_initiatives, make_residents


def _rss_mb() -> float:
    """The resident set now (not the peak, which the set-up already reached)."""
    with open("/proc/self/statm") as statm:  # noqa: PTH123
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def _entries(n: int, prefix: str) -> None:
    """`n` register entries (no accounts), in batches, without holding them in memory."""
    from civic.identity import identity_hash
    from civic.models import District, EntryKind, RegisterEntry

    district, _c = District.objects.get_or_create(code="paper", defaults={"name": "Papier"})
    birth = date(1975, 6, 1)
    for start in range(0, n, 20_000):
        RegisterEntry.objects.bulk_create(
            [
                RegisterEntry(
                    ref=f"{prefix}{i:08d}",
                    kind=EntryKind.ELECTOR,
                    last_name=f"P{i}",
                    first_names="Jeanne",
                    birth_date=birth,
                    address="1 place",
                    district=district,
                    roll_number=f"{prefix}R{i:08d}",
                    identity_hash=identity_hash(
                        last_name=f"P{i}", first_names="Jeanne", birth_date=birth
                    ),
                )
                for i in range(start, min(n, start + 20_000))
            ],
            batch_size=5000,
        )


def main() -> None:
    main_guard()
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    fresh()
    make_residents(2)
    from tests.factories import StaffFactory

    moderator = StaffFactory(role="moderator")
    _entries(args.rows, "PX")
    target, baseline = make_initiatives(2, slugs=("interpellation-charte", "consultation-l1112-16"))
    analyze()

    from civic.models import RegisterEntry
    from petitions.models import Signature
    from petitions.services import PaperRow, counts_fold, counts_recount, paper_signatures_import

    # Baseline: ORM bulk_create of the same rows (facts and mask precomputed, no verification).
    baseline_rows = min(args.rows, 200_000)
    began = time.perf_counter()
    last_id = 0
    done = 0
    while done < baseline_rows:
        chunk = list(
            RegisterEntry.objects.filter(id__gt=last_id)
            .order_by("id")
            .values_list("id", "identity_hash", "district_id")[:5000]
        )
        if not chunk:
            break
        Signature.objects.bulk_create(
            [
                Signature(
                    initiative_id=baseline,
                    register_entry_id=e,
                    identity_hash=h,
                    channel="paper",
                    created_at=moderator.date_joined,
                    track_mask=3,
                    facts={"resident_16": True, "municipal_elector": True},
                    district_id=d,
                    entered_by=moderator,
                )
                for e, h, d in chunk
            ],
            batch_size=2000,
        )
        last_id = chunk[-1][0]
        done += len(chunk)
    bulk_rps = done / (time.perf_counter() - began)

    # The import streams rows: 10 % of the rows name people not on the register, 5 % are repeats.
    marks: dict[str, float] = {}

    def rows() -> Iterator[PaperRow]:
        for i in range(args.rows):
            if i == args.rows // 10:
                marks["rss_10pct_mb"] = _rss_mb()
            if i == args.rows - 1:
                marks["rss_100pct_mb"] = _rss_mb()
            if i % 20 == 7:
                yield PaperRow(register_ref=f"PX{max(0, i - 7):08d}", sheet_ref=f"F{i // 20}")
            elif i % 10 == 3:
                yield PaperRow(register_ref=f"NOPE{i}", sheet_ref=f"F{i // 20}")
            else:
                yield PaperRow(register_ref=f"PX{i:08d}", sheet_ref=f"F{i // 20}")

    rss_before = _rss_mb()
    began = time.perf_counter()
    result = paper_signatures_import(
        initiative_id=target, actor=moderator, rows=rows(), source="bench"
    )
    seconds = time.perf_counter() - began
    import_rps = result.rows / seconds
    counts_fold()
    drift = counts_recount(initiative_ids=[target])
    ratio = import_rps / bulk_rps
    growth_10 = marks.get("rss_10pct_mb", rss_before) - rss_before
    growth_100 = marks.get("rss_100pct_mb", rss_before) - rss_before
    report(
        "W8",
        f"paper import rows/s ÷ ORM bulk_create rows/s ({result.rows:,} rows)",
        ratio,
        "≥ 0.3; memory flat in N",
        ratio >= 0.3 and growth_100 <= growth_10 + 50 and not drift,
        import_rows_per_s=round(import_rps, 1),
        bulk_create_rows_per_s=round(bulk_rps, 1),
        accepted=result.accepted,
        rejected=dict(result.rejected),
        rss_growth_mb_at_10pct=round(growth_10, 1),
        rss_growth_mb_at_100pct=round(growth_100, 1),
        counts_exact_after_fold=not drift,
    )


if __name__ == "__main__":
    main()
