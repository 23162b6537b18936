"""The public random value of a draw: a drand round (League of Entropy, `quicknet` chain) named by
the commitment before it exists, fetched from several relays once it is due.

Standard library only, like the rest of the package: the rerun checks a bundle's round with nothing
installed. What it checks: the round is the one the commitment named, and its randomness is the
SHA-256 of its signature (drand's rule for unchained chains). The BLS signature itself is not
verified here (no well-kept pure-Python BLS12-381 library verifies quicknet's G1 signatures); the
draw instead requires every configured relay to serve the same round, and anyone may check the
signature against the League of Entropy's public key with drand's own clients.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

_HEX = re.compile(r"^[0-9a-f]+$")


@dataclass(frozen=True)
class Chain:
    name: str
    hash: str
    genesis: int  # Unix time of round 1
    period: int  # seconds between rounds
    public_key: str


# https://api.drand.sh/52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971/info
QUICKNET = Chain(
    name="drand quicknet",
    hash="52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971",
    genesis=1692803367,
    period=3,
    public_key=(
        "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d"
        "1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae89"
        "91ef5ece45a"
    ),
)
DEFAULT_RELAYS = (
    "https://api.drand.sh",
    "https://api2.drand.sh",
    "https://api3.drand.sh",
    "https://drand.cloudflare.com",
)


class BeaconError(Exception):
    """The round cannot be had: not yet due, a relay unreachable, or relays that disagree."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Beacon:
    round: int
    randomness: str  # hex, SHA-256 of the signature
    signature: str  # hex

    def as_json(self) -> dict[str, Any]:
        return {"round": self.round, "randomness": self.randomness, "signature": self.signature}


def round_time(chain: Chain, number: int) -> datetime:
    """When round `number` is produced."""
    return datetime.fromtimestamp(chain.genesis + (number - 1) * chain.period, tz=UTC)


def round_at(chain: Chain, when: datetime) -> int:
    """The first round produced at or after `when`."""
    elapsed = when.timestamp() - chain.genesis
    return max(1, math.ceil(elapsed / chain.period) + 1)


def beacon_problems(record: Mapping[str, Any], *, expected_round: int) -> list[str]:
    """Everything wrong with a round as served or published (empty when it is sound)."""
    try:
        number = int(record["round"])
        randomness = str(record["randomness"]).lower()
        signature = str(record["signature"]).lower()
    except (KeyError, TypeError, ValueError):
        return ["the beacon round is missing or malformed"]
    problems = []
    if number != expected_round:
        problems.append(
            f"the beacon is round {number}, the commitment named round {expected_round}"
        )
    if not (_HEX.match(randomness) and len(randomness) == 64):
        problems.append("the beacon randomness is not 32 bytes of hexadecimal")
    if not (_HEX.match(signature) and len(signature) % 2 == 0):
        problems.append("the beacon signature is not hexadecimal")
    elif hashlib.sha256(bytes.fromhex(signature)).hexdigest() != randomness:
        problems.append("the beacon randomness is not the SHA-256 of its signature")
    return problems


Fetcher = Callable[[str, float], Mapping[str, Any]]


def http_fetch(url: str, timeout: float) -> Mapping[str, Any]:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 - configured relays
        return dict(json.loads(answer.read(64 * 1024)))


def beacon_fetch(
    chain: Chain,
    number: int,
    *,
    relays: Sequence[str],
    timeout: float,
    now: datetime,
    fetch: Fetcher = http_fetch,
) -> Beacon:
    """Round `number` as every relay serves it. Refused before the round is due, when a relay does
    not answer a sound round, and when two relays disagree."""
    if now < round_time(chain, number):
        raise BeaconError("The round is not produced yet.", code="beacon_not_due")
    if not relays:
        raise BeaconError("No drand relay is configured.", code="beacon_unavailable")
    seen: dict[str, Beacon] = {}
    for relay in relays:
        url = f"{relay.rstrip('/')}/{chain.hash}/public/{number}"
        try:
            record = fetch(url, timeout)
        except (OSError, ValueError, urllib.error.URLError) as exc:
            raise BeaconError(
                f"The relay {relay} did not serve round {number}: {type(exc).__name__}.",
                code="beacon_unavailable",
            ) from exc
        problems = beacon_problems(record, expected_round=number)
        if problems:
            raise BeaconError(
                f"The relay {relay} served an unsound round: {problems[0]}.",
                code="beacon_unsound",
            )
        seen[relay] = Beacon(
            number, str(record["randomness"]).lower(), str(record["signature"]).lower()
        )
    if len(set(seen.values())) != 1:
        raise BeaconError("The relays disagree on the round.", code="beacon_disagreement")
    return next(iter(seen.values()))


def beacon_due(chain: Chain, number: int, now: datetime) -> bool:
    return now >= round_time(chain, number)


def round_after(chain: Chain, when: datetime, *, margin: timedelta = timedelta(0)) -> int:
    """The first round produced strictly after `when + margin`."""
    number = round_at(chain, when + margin)
    return number + 1 if round_time(chain, number) <= when + margin else number
