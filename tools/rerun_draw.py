#!/usr/bin/env python3
"""Rerun a citizens' assembly draw from its public bundle, without the city's database or Django.

    python tools/rerun_draw.py tirage-3.json            # download it from /assembly/3/tirage.json
    python tools/rerun_draw.py tirage-3.json --no-recompute --simulated-draws 100000

Needs Python's standard library and this repository's `assembly/sortition/` (and
`sortition-algorithms` only to re-solve the distribution). The replay and its report are the ones
`manage.py rerun_draw` prints: the panel and reserve replayed, the seed checked to be the randomness
of the drand round the commitment named (the SHA-256 of the round's signature; compare the round
with https://api.drand.sh/<chain hash>/public/<round> yourself, and its BLS signature with drand's
own clients), and fairness: each volunteer's exact probability under the committed lottery against
the algorithm's promise, then simulated draws against those probabilities. Exit status 0 when all
hold, 1 when one does not, 2 when there is nothing to replay yet.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assembly import sortition


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--no-recompute", action="store_true")
    parser.add_argument("--simulated-draws", type=int, default=sortition.SIMULATED_DRAWS)
    args = parser.parse_args()
    data = json.loads(args.bundle.read_text(encoding="utf-8"))
    try:
        report = sortition.bundle_rerun(
            data, recompute=not args.no_recompute, simulated_draws=args.simulated_draws
        )
    except sortition.SeedNotPublished as exc:
        print(exc)
        return 2
    for line in sortition.report_lines(report):
        print(line)
    print(sortition.MATCH_LINE if report.ok else sortition.MISMATCH_LINE)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
