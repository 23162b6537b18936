#!/usr/bin/env python3
"""Verify a published referendum ballot box. Python standard library only.

    python tools/verify_ballot_box.py ballot-box-12.json
    python tools/verify_ballot_box.py ballot-box-12.json --results results-12.json
    python tools/verify_ballot_box.py ballot-box-12.json --digest <box_sha256> --receipt ABCD-...
    python tools/verify_ballot_box.py ballot-box-12.json --results results-12.json \
        --heads heads.json --public-key <the city's Ed25519 key, given to you apart>

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
   (received; whether a later re-vote replaced it, the box does not say, on purpose);
8. with --results, counted ballots = participations, ballots <= electorate, and per district the
   participations shown are <= its electorate and add up to no more than the whole;
9. with --heads (GET /api/v1/audit/heads/, or the JSON lines the auditors received), the box is
   among the heads the city signed at the close (Ed25519, checked here with the standard library)
   with the same box digest, ballots, participations and electorate: a box from which one ballot
   was dropped or to which one was added fails here even when its tally, receipts, digests and
   results were all rewritten to match. Give --public-key from a source other than the server
   (the auditors' e-mail, the city's bulletin); without it the key served with the heads is used.
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
HEADS_FORMAT = "civic-audit-heads/1"

# --- Ed25519 signature check (RFC 8032, section 5.1.7), standard library only -----------------
_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)
Point = tuple[int, int, int, int]


def _recover_x(y: int, sign: int) -> int | None:
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P:
        return None
    return _P - x if (x & 1) != sign else x


def _add(a: Point, b: Point) -> Point:
    k_a = (a[1] - a[0]) * (b[1] - b[0]) % _P
    k_b = (a[1] + a[0]) * (b[1] + b[0]) % _P
    k_c = 2 * a[3] * b[3] * _D % _P
    k_d = 2 * a[2] * b[2] % _P
    e, f, g, h = k_b - k_a, k_d - k_c, k_d + k_c, k_b + k_a
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _mul(scalar: int, point: Point) -> Point:
    result: Point = (0, 1, 1, 0)
    while scalar:
        if scalar & 1:
            result = _add(result, point)
        point = _add(point, point)
        scalar >>= 1
    return result


def _decompress(raw: bytes) -> Point | None:
    if len(raw) != 32:
        return None
    y = int.from_bytes(raw, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % _P)


_GY = 4 * pow(5, _P - 2, _P) % _P
_G: Point = (_recover_x(_GY, 0) or 0, _GY, 1, (_recover_x(_GY, 0) or 0) * _GY % _P)


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    if len(public_key) != 32 or len(signature) != 64:
        return False
    point_a, point_r = _decompress(public_key), _decompress(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if point_a is None or point_r is None or s >= _L:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little")
    left, right = _mul(s, _G), _add(point_r, _mul(h % _L, point_a))
    return (left[0] * right[2] - right[0] * left[2]) % _P == 0 and (
        left[1] * right[2] - right[1] * left[2]
    ) % _P == 0


def head_signed(line: dict[str, Any], public_key: str) -> bool:
    body = {k: v for k, v in line.items() if k != "sig"}
    try:
        return ed25519_verify(
            bytes.fromhex(public_key), canonical(body).encode(), bytes.fromhex(str(line["sig"]))
        )
    except (KeyError, ValueError):
        return False


def read_heads(text: str) -> tuple[list[dict[str, Any]], str | None]:
    """The endpoint's JSON ({"public_key", "heads"}) or the file's JSON lines."""
    stripped = text.strip()
    try:
        document = json.loads(stripped)
    except ValueError:
        document = None  # several lines: the file's JSON lines
    if isinstance(document, dict) and "heads" in document:
        return list(document["heads"]), document.get("public_key")
    if isinstance(document, dict):
        return [document], None
    return [json.loads(line) for line in stripped.splitlines() if line.strip()], None


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
    heads: list[dict[str, Any]] | None = None,
    public_key: str | None = None,
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

    # 8. ballots against participations, the electorate and each district's turnout
    if results is not None:
        participations = results.get("participations")
        electorate = results.get("electorate")
        report.check(
            participations == len(ballots),
            f"counted ballots equal participations ({len(ballots)} ballots, "
            f"{participations} participations)",
        )
        report.check(
            isinstance(electorate, int) and len(ballots) <= electorate,
            f"ballots do not exceed the electorate ({len(ballots)} of {electorate})",
        )
        shown = [d for d in results.get("districts", []) if d.get("participations") is not None]
        over = [
            d["code"]
            for d in shown
            if d.get("electorate") is not None and d["participations"] > d["electorate"]
        ]
        report.check(not over, f"no district has more participations than electors ({over})")
        report.check(
            sum(d["participations"] for d in shown) <= (participations or 0),
            "district participations add up to no more than the whole",
        )

    # 9. the signed heads published at the close
    if heads is not None:
        key = public_key or ""
        unsigned = [i for i, line in enumerate(heads, 1) if not head_signed(line, key)]
        report.check(
            bool(key) and not unsigned,
            f"every published head is signed by the key {key[:16]}... ({len(unsigned)} not)",
        )
        published = [
            line
            for line in heads
            if line.get("kind") == "ballot_box"
            and line.get("campaign") == campaign["id"]
            and head_signed(line, key)
        ]
        report.check(len(published) == 1, "the box is among the signed published heads")
        if published:
            line = published[0]
            report.check(
                line.get("box_sha256") == box_sha, "box digest equals the one published at close"
            )
            report.check(
                line.get("ballots") == len(ballots),
                f"ballots equal those published at close ({len(ballots)} vs {line.get('ballots')})",
            )
            report.check(
                line.get("participations") == len(ballots),
                "ballots equal the participations published at close",
            )
            if results is not None:
                report.check(
                    line.get("participations") == results.get("participations")
                    and line.get("electorate") == results.get("electorate"),
                    "participations and electorate equal those published at close",
                )

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
    parser.add_argument(
        "--heads", type=Path, help="the signed audit heads (GET /api/v1/audit/heads/)"
    )
    parser.add_argument("--public-key", help="the city's Ed25519 public key (hex), got apart")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    try:
        box = json.loads(args.box.read_text(encoding="utf-8"))
        results = json.loads(args.results.read_text(encoding="utf-8")) if args.results else None
        heads, served_key = (
            read_heads(args.heads.read_text(encoding="utf-8")) if args.heads else (None, None)
        )
        report = verify(
            box,
            results=results,
            expected_digest=args.digest,
            receipt=args.receipt,
            heads=heads,
            public_key=args.public_key or served_key,
        )
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
