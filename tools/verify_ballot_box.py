#!/usr/bin/env python3
"""Verify a published referendum ballot box. Python standard library only.

    python tools/verify_ballot_box.py ballot-box-12.json
    python tools/verify_ballot_box.py ballot-box-12.json --results results-12.json
    python tools/verify_ballot_box.py ballot-box-12.json --digest <box_sha256> --receipt ABCD-...

What it checks (exit status 0 only if every check passes, 1 on any discrepancy, 2 on bad input):
1. every ballot answers each question of the campaign with one of its options, ids are unique;
2. the ballots' digest: SHA-256 over each ballot's canonical JSON line, in ballot-id order;
3. the receipts' digest: SHA-256 over each receipt hash line, in sorted order; at least as many
   receipts as ballots (every receipt ever given is listed, a re-vote's replaced one included, so
   a receipt proves nothing about a later re-vote), no duplicates;
4. the tally recomputed from the ballots equals the published tally;
5. the box digest (SHA-256 of the canonical header, tally and the two digests) equals the one in
   the file, and the one given with --digest or published in the results (--results);
6. with --results, the official per-option counts equal the recomputed ones;
7. with --receipt CODE, SHA-256("<campaign id>:<CODE normalised>") is among the receipt hashes
   (received; whether a later re-vote replaced it, the box does not say, on purpose).
Canonical JSON: keys sorted, separators "," and ":", UTF-8, no ASCII escaping.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

FORMAT = "civic-ballot-box/1"


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def lines_digest(lines: list[str]) -> str:
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def normalise_receipt(code: str) -> str:
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    return "-".join(cleaned[i : i + 4] for i in range(0, len(cleaned), 4))


def receipt_digest(campaign_id: int, code: str) -> str:
    return hashlib.sha256(f"{campaign_id}:{normalise_receipt(code)}".encode()).hexdigest()


class Report:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.notes: list[str] = []

    def check(self, ok: bool, message: str) -> None:
        (self.notes if ok else self.problems).append(("ok   " if ok else "FAIL ") + message)


def verify(
    box: dict[str, Any],
    *,
    results: dict[str, Any] | None = None,
    expected_digest: str | None = None,
    receipt: str | None = None,
) -> Report:
    report = Report()
    report.check(box.get("format") == FORMAT, f"format is {FORMAT}")
    campaign = box["campaign"]
    questions = {str(q["id"]): list(q["options"]) for q in campaign["questions"]}
    ballots = box["ballots"]
    receipts = box["receipts"]
    published_tally = box["tally"]
    digests = box["digests"]

    # 1. well-formed ballots
    ids = [b["id"] for b in ballots]
    report.check(len(set(ids)) == len(ids), f"{len(ids)} ballot ids are unique")
    malformed = [
        b["id"]
        for b in ballots
        if set(b["choices"]) != set(questions)
        or any(b["choices"][q] not in options for q, options in questions.items())
    ]
    report.check(
        not malformed, f"every ballot answers each question validly ({len(malformed)} bad)"
    )

    # 2. ballots digest (ballot-id order)
    ordered = sorted(ballots, key=lambda b: b["id"])
    ballot_lines = [canonical({"id": b["id"], "choices": b["choices"]}) for b in ordered]
    ballots_sha = lines_digest(ballot_lines)
    report.check(ballots_sha == digests["ballots_sha256"], "ballots digest matches")

    # 3. receipts
    receipts_sorted = sorted(receipts)
    report.check(len(set(receipts)) == len(receipts), "receipt hashes are unique")
    report.check(
        len(receipts) >= len(ballots),
        f"receipts cover the counted ballots ({len(receipts)} receipts >= {len(ballots)} ballots)",
    )
    receipts_sha = lines_digest(receipts_sorted)
    report.check(receipts_sha == digests["receipts_sha256"], "receipts digest matches")

    # 4. recount
    counts: dict[str, Counter[str]] = {q: Counter() for q in questions}
    for ballot in ballots:
        for q, key in ballot["choices"].items():
            if q in counts:
                counts[q][key] += 1
    recount = {
        "ballots": len(ballots),
        "questions": {q: {o: counts[q][o] for o in options} for q, options in questions.items()},
    }
    report.check(recount == published_tally, "recount equals the tally published in the box")

    # 5. box digest
    box_sha = hashlib.sha256(
        canonical(
            {
                "format": box.get("format"),
                "campaign": campaign,
                "tally": published_tally,
                "ballots_sha256": digests["ballots_sha256"],
                "receipts_sha256": digests["receipts_sha256"],
            }
        ).encode()
    ).hexdigest()
    report.check(box_sha == digests["box_sha256"], "box digest matches its content")
    if expected_digest:
        report.check(box_sha == expected_digest.lower(), "box digest equals the expected digest")

    # 6. official results
    if results is not None:
        report.check(
            results.get("results_digest") == box_sha,
            "box digest equals the digest published with the results",
        )
        official = {
            str(q["id"]): {o["key"]: o["count"] for o in q["options"]}
            for q in results.get("questions", [])
        }
        report.check(official == recount["questions"], "official results equal the recount")
        report.check(results.get("ballots") == len(ballots), "official ballot count equals the box")

    # 7. a voter's receipt
    if receipt is not None:
        digest = receipt_digest(int(campaign["id"]), receipt)
        report.check(digest in set(receipts), "your receipt is among the received ones")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("box", type=Path, help="the ballot box JSON (GET .../ballot-box/)")
    parser.add_argument("--results", type=Path, help="the results JSON (GET .../results/)")
    parser.add_argument("--digest", help="the box digest published by the city")
    parser.add_argument("--receipt", help="your receipt code")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    try:
        box = json.loads(args.box.read_text(encoding="utf-8"))
        results = json.loads(args.results.read_text(encoding="utf-8")) if args.results else None
        report = verify(box, results=results, expected_digest=args.digest, receipt=args.receipt)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        print(f"cannot read the ballot box: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        for line in report.notes + report.problems:
            print(line)
    if report.problems:
        print(f"DISCREPANCY: {len(report.problems)} check(s) failed", file=sys.stderr)
        return 1
    print("the ballot box is consistent")
    return 0


if __name__ == "__main__":
    sys.exit(main())
