#!/usr/bin/env python3
"""Rerun a citizens' assembly draw from its public bundle, without the city's database or Django.

    python tools/rerun_draw.py tirage-3.json            # download it from /assembly/3/tirage.json
    python tools/rerun_draw.py tirage-3.json --no-recompute

Needs only `sortition-algorithms` (for re-solving the distribution) and this repository's
`assembly/sortition.py`. Exit status 0 when the published panel follows from the published inputs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assembly import sortition


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--no-recompute", action="store_true")
    args = parser.parse_args()
    data = json.loads(args.bundle.read_text(encoding="utf-8"))
    if not data.get("seed"):
        print("The seed is not published yet: nothing to replay.")
        return 2
    report = sortition.rerun(
        data["payload"],
        published_digest=data["digest"],
        seed=data["seed"],
        published_panel=data["panel"],
        published_reserve=data["reserve"],
        recompute=not args.no_recompute,
        seed_recorded_at=data.get("seed_recorded_at"),
    )
    print(f"commitment digest matches: {report.digest_matches}")
    print(f"committed lottery meets every quota: {report.lottery_sound}")
    print(f"panel matches: {report.panel_matches}")
    print(f"reserve list matches: {report.reserve_matches}")
    if report.recomputed_lottery_identical is not None:
        print(f"lottery recomputed identically here: {report.recomputed_lottery_identical}")
    for problem in report.problems:
        print(f"  - {problem}")
    print("MATCH" if report.ok else "MISMATCH")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
