"""The draw's data and their canonical forms: candidates, quotas, digests, quota checks.

Standard library only (so is the whole package, but for the solver `lottery` loads when it
computes): anyone can replay a draw with `tools/rerun_draw.py` and nothing installed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

ALGORITHM = "maximin"
LIBRARY = "sortition-algorithms"
LOTTERY_TICKETS = 1000
BUNDLE_FORMAT = "civic-assembly-draw/1"


@dataclass(frozen=True)
class QuotaSpec:
    feature: str
    value: str
    min: int
    max: int


@dataclass(frozen=True)
class Candidate:
    pid: str  # the pseudonym published in the pool
    features: Mapping[str, str]


class SortitionError(Exception):
    """The quotas cannot be met with this pool (or the inputs are inconsistent)."""

    def __init__(self, message: str, *, code: str, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.details = list(details)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def canonical_pool(candidates: Iterable[Candidate]) -> list[dict[str, Any]]:
    return sorted(
        ({"id": c.pid, "features": dict(sorted(c.features.items()))} for c in candidates),
        key=lambda row: row["id"],
    )


def canonical_quotas(quotas: Iterable[QuotaSpec]) -> list[dict[str, Any]]:
    return sorted(
        ({"feature": q.feature, "value": q.value, "min": q.min, "max": q.max} for q in quotas),
        key=lambda row: (row["feature"], row["value"]),
    )


def pool_digest(candidates: Iterable[Candidate]) -> str:
    return sha256_hex(canonical_json(canonical_pool(candidates)))


def quotas_digest(quotas: Iterable[QuotaSpec]) -> str:
    return sha256_hex(canonical_json(canonical_quotas(quotas)))


def quota_violations(
    panel: Iterable[str], pool: Mapping[str, Mapping[str, str]], quotas: Iterable[QuotaSpec]
) -> list[str]:
    """The quotas a panel misses, as readable lines ("gender=f: 2 not in [3, 5]")."""
    counts: dict[tuple[str, str], int] = {}
    for pid in panel:
        for feature, value in pool[pid].items():
            counts[(feature, value)] = counts.get((feature, value), 0) + 1
    problems = []
    for q in quotas:
        n = counts.get((q.feature, q.value), 0)
        if not q.min <= n <= q.max:
            problems.append(f"{q.feature}={q.value}: {n} not in [{q.min}, {q.max}]")
    return problems


def inputs_validate(
    candidates: Sequence[Candidate], quotas: Sequence[QuotaSpec], size: int
) -> None:
    if size < 1:
        raise SortitionError("The panel size must be positive.", code="invalid_panel_size")
    if len(candidates) < size:
        raise SortitionError(
            f"The pool has {len(candidates)} volunteers for {size} seats.",
            code="pool_too_small",
        )
    ids = [c.pid for c in candidates]
    if len(set(ids)) != len(ids):
        raise SortitionError("Two volunteers share a pseudonym.", code="duplicate_pseudonym")
    values: dict[str, set[str]] = {}
    for q in quotas:
        if q.min < 0 or q.max < q.min:
            raise SortitionError(
                f"Quota {q.feature}={q.value}: min {q.min}, max {q.max}.", code="invalid_quota"
            )
        values.setdefault(q.feature, set()).add(q.value)
    for c in candidates:
        for feature, allowed in values.items():
            if c.features.get(feature) not in allowed:
                raise SortitionError(
                    f"Volunteer {c.pid} has no valid value for {feature}.",
                    code="missing_feature_value",
                )
