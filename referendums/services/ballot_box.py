"""The published ballot box: its digests, bound to the official tally, and its streamed JSON.

Check a downloaded box with `tools/verify_ballot_box.py`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from referendums.models import Ballot, Campaign, ReceiptHash

BOX_FORMAT = "civic-ballot-box/1"


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _ballot_lines(campaign: Campaign) -> Iterator[str]:
    for ballot_id, choices in (
        Ballot.objects.filter(campaign=campaign)
        .order_by("id")
        .values_list("id", "choices")
        .iterator(chunk_size=5000)
    ):
        yield canonical_json({"id": str(ballot_id), "choices": json.loads(choices)})


def _receipt_lines(campaign: Campaign) -> Iterator[str]:
    yield from (
        ReceiptHash.objects.filter(campaign=campaign)
        .order_by("digest")
        .values_list("digest", flat=True)
        .iterator(chunk_size=5000)
    )


def _lines_digest(lines: Iterator[str]) -> str:
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def box_digests(
    campaign: Campaign, header: dict[str, Any], tally: dict[str, Any]
) -> dict[str, str]:
    ballots = _lines_digest(_ballot_lines(campaign))
    receipts = _lines_digest(_receipt_lines(campaign))
    box = hashlib.sha256(
        canonical_json(
            {
                "format": BOX_FORMAT,
                "campaign": header,
                "tally": tally,
                "ballots_sha256": ballots,
                "receipts_sha256": receipts,
            }
        ).encode()
    ).hexdigest()
    return {"ballots_sha256": ballots, "receipts_sha256": receipts, "box_sha256": box}


def ballot_box_stream(campaign: Campaign) -> Iterator[str]:
    """The published box as JSON text, streamed (a million ballots never sit in memory)."""
    results = campaign.results or {}
    head = {
        "format": BOX_FORMAT,
        "campaign": results.get("header"),
        "tally": results.get("box_tally"),
        "digests": results.get("ballot_box"),
    }
    yield canonical_json(head)[:-1]
    yield ',"receipts":['
    for i, line in enumerate(_receipt_lines(campaign)):
        yield ("," if i else "") + json.dumps(line)
    yield '],"ballots":['
    for i, line in enumerate(_ballot_lines(campaign)):
        yield ("," if i else "") + line
    yield "]}"
