"""Step two, once the public random value is known: the ticket, the panel and the reserve order,
a pure function of the committed lottery, the commitment digest and the seed; and the commitment
payload that is published (and hashed) before the seed exists."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assembly.sortition.canonical import (
    BUNDLE_FORMAT,
    LOTTERY_TICKETS,
    Candidate,
    QuotaSpec,
    SortitionError,
    canonical_json,
    canonical_pool,
    canonical_quotas,
    pool_digest,
    sha256_hex,
)
from assembly.sortition.lottery import Lottery


def ticket_for_seed(commitment_digest: str, seed: str) -> int:
    digest = hashlib.sha256(f"{commitment_digest}\n{seed}".encode()).digest()
    return int.from_bytes(digest, "big") % LOTTERY_TICKETS


@dataclass(frozen=True)
class DrawOutcome:
    ticket: int
    panel: list[str]  # sorted pseudonyms
    reserve: list[str]  # in call order


def draw_select(
    *,
    lottery: Lottery,
    pids: Iterable[str],
    commitment_digest: str,
    seed: str,
    reserve_size: int,
) -> DrawOutcome:
    """The draw itself: a pure function of the committed lottery, the digest and the seed."""
    if not seed:
        raise SortitionError("The seed is empty.", code="seed_missing")
    ticket = ticket_for_seed(commitment_digest, seed)
    cumulative = 0
    panel: list[str] = []
    for members, n in zip(lottery.panels, lottery.tickets, strict=True):
        cumulative += n
        if ticket < cumulative:
            panel = sorted(members)
            break
    chosen = set(panel)
    remaining = sorted(
        (pid for pid in pids if pid not in chosen),
        key=lambda pid: hashlib.sha256(f"{commitment_digest}\n{seed}\n{pid}".encode()).hexdigest(),
    )
    return DrawOutcome(ticket=ticket, panel=panel, reserve=remaining[:reserve_size])


def commitment_payload(
    *,
    mandate_id: int,
    panel_size: int,
    reserve_size: int,
    candidates: Sequence[Candidate],
    quotas: Sequence[QuotaSpec],
    lottery: Lottery,
    algorithm: str,
    library: str,
    seed_source: str,
    seed_expected_at: str,
    published_at: str = "",
    beacon: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The published commitment. `beacon` names the future public round whose randomness will be
    the seed; `promise` states what the algorithm promises each volunteer (the maximin value, each
    one's probability under the optimal distribution and how many of its panels hold them), which
    the rerun checks."""
    extra: dict[str, Any] = {}
    if beacon is not None:
        extra["beacon"] = dict(beacon)
    if lottery.targets:
        extra["promise"] = {
            "maximin": lottery.maximin_value,
            "targets": dict(sorted(lottery.targets.items())),
            "supports": dict(sorted(lottery.supports.items())),
        }
    return {
        **extra,
        "published_at": published_at,
        "format": BUNDLE_FORMAT,
        "mandate": mandate_id,
        "panel_size": panel_size,
        "reserve_size": reserve_size,
        "pool": canonical_pool(candidates),
        "pool_digest": pool_digest(candidates),
        "quotas": canonical_quotas(quotas),
        "algorithm": algorithm,
        "library": library,
        "lottery_tickets": LOTTERY_TICKETS,
        "lottery": lottery.as_json(),
        "seed_source": seed_source,
        "seed_expected_at": seed_expected_at,
    }


def commitment_digest(payload: Mapping[str, Any]) -> str:
    return sha256_hex(canonical_json(payload))
