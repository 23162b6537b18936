"""The verifiable stratified draw: pure functions, no database.

Two steps, so that the draw is a pure, replayable function of published data:

1. Before the seed exists (`lottery_compute`): the Sortition Foundation's maximin algorithm
   (`sortition-algorithms`, HiGHS solver: no Gurobi needed) finds a distribution over panels that
   meet every quota and maximises the smallest selection probability. The distribution is rounded
   into a *transparent lottery* of `LOTTERY_TICKETS` equally likely tickets (the library's own
   pipage rounding, Flanigan et al. 2021). The library's randomness is seeded from the pool digest,
   so one machine always computes the same lottery. The lottery goes into the commitment.

2. After the public random value is known (`draw_select`): the ticket is
   `SHA-256(commitment digest, seed) mod LOTTERY_TICKETS`; the reserve order is the remaining
   volunteers sorted by `SHA-256(commitment digest, seed, pseudonym)`. No solver, no floating point,
   no process state: anyone replays it from the published bundle and gets the same panel.

Why the lottery is committed rather than recomputed at draw time: an LP has many optimal vertices
and the library iterates Python sets whose order depends on per-process hash randomisation, so a
recomputation elsewhere may give a different (equally fair) distribution. Fixing it before the seed
is known makes the replay exact and leaves staff no choice to make after seeing the seed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import subprocess
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

ALGORITHM = "maximin"
LIBRARY = "sortition-algorithms"
LOTTERY_TICKETS = 1000
BUNDLE_FORMAT = "civic-assembly-draw/1"
_HASH_SEED = "0"
_CHILD_TIMEOUT = 600


# The library keeps its random source in a module global (and seeds the global `random`): two draws
# computed at once in one process would interleave their random streams.
_LIBRARY_LOCK = threading.Lock()


def library_version() -> str:
    return f"{LIBRARY} {version(LIBRARY)}"


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


def _validate(candidates: Sequence[Candidate], quotas: Sequence[QuotaSpec], size: int) -> None:
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


@dataclass
class Lottery:
    """Equally likely tickets, grouped: `panels[i]` holds `tickets[i]` of the LOTTERY_TICKETS."""

    panels: list[list[str]]
    tickets: list[int]
    probabilities: dict[str, float] = field(
        default_factory=dict
    )  # per pid, exact under the lottery
    maximin_value: float = 0.0  # smallest selection probability of the optimal distribution

    def as_json(self) -> list[dict[str, Any]]:
        return [{"panel": p, "tickets": t} for p, t in zip(self.panels, self.tickets, strict=True)]

    @classmethod
    def from_json(cls, rows: Sequence[Mapping[str, Any]]) -> Lottery:
        panels = [list(r["panel"]) for r in rows]
        tickets = [int(r["tickets"]) for r in rows]
        return cls(panels=panels, tickets=tickets)


def lottery_probabilities(lottery: Lottery, pids: Iterable[str]) -> dict[str, float]:
    total = sum(lottery.tickets)
    counts = dict.fromkeys(pids, 0)
    for panel, n in zip(lottery.panels, lottery.tickets, strict=True):
        for pid in panel:
            counts[pid] = counts.get(pid, 0) + n
    return {pid: n / total for pid, n in sorted(counts.items())}


def lottery_compute(
    candidates: Sequence[Candidate], quotas: Sequence[QuotaSpec], size: int
) -> Lottery:
    """Solve the maximin distribution and round it into LOTTERY_TICKETS tickets.

    Raises SortitionError(code="infeasible_quotas") with the library's suggested relaxation when no
    panel can meet every quota.

    The library walks Python sets of panels, whose order follows the per-process string-hash seed,
    and the LP solver returns whichever optimal vertex that order leads to. The computation
    therefore runs in a child interpreter with PYTHONHASHSEED=0, which makes the lottery a pure
    function of (pool, quotas, size, library version) on a given platform."""
    if os.environ.get("PYTHONHASHSEED") == _HASH_SEED:
        return _lottery_compute_here(candidates, quotas, size)
    request = {
        "pool": canonical_pool(candidates),
        "quotas": canonical_quotas(quotas),
        "size": size,
    }
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONHASHSEED": _HASH_SEED}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH", "")]))
    done = subprocess.run(
        [sys.executable, "-m", "assembly.sortition"],
        input=canonical_json(request),
        capture_output=True,
        text=True,
        cwd=root,
        env=env,
        timeout=_CHILD_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise SortitionError(
            "The sortition computation failed.",
            code="sortition_failed",
            details=[done.stderr[-2000:]],
        )
    answer = json.loads(done.stdout)
    if "error" in answer:
        err = answer["error"]
        raise SortitionError(err["message"], code=err["code"], details=err["details"])
    lottery = Lottery.from_json(answer["lottery"])
    lottery.probabilities = answer["probabilities"]
    lottery.maximin_value = answer["maximin_value"]
    return lottery


def _child_main() -> None:
    request = json.loads(sys.stdin.read())
    candidates = [Candidate(row["id"], row["features"]) for row in request["pool"]]
    quotas = [QuotaSpec(q["feature"], q["value"], q["min"], q["max"]) for q in request["quotas"]]
    try:
        lottery = _lottery_compute_here(candidates, quotas, request["size"])
    except SortitionError as exc:
        answer: dict[str, Any] = {
            "error": {"code": exc.code, "message": str(exc), "details": exc.details}
        }
    else:
        answer = {
            "lottery": lottery.as_json(),
            "probabilities": lottery.probabilities,
            "maximin_value": lottery.maximin_value,
        }
    sys.stdout.write(canonical_json(answer))


def _lottery_compute_here(
    candidates: Sequence[Candidate], quotas: Sequence[QuotaSpec], size: int
) -> Lottery:
    from sortition_algorithms import errors as sa_errors
    from sortition_algorithms.committee_generation import (
        find_distribution_maximin,
        standardize_distribution,
    )
    from sortition_algorithms.core import lottery_rounding
    from sortition_algorithms.features import (
        FeatureCollection,
        FeatureValueMinMax,
        check_desired,
        set_default_max_flex,
    )
    from sortition_algorithms.people import People, check_enough_people_for_every_feature_value
    from sortition_algorithms.utils import set_random_provider

    # The library logs every solver iteration to stdout at INFO; our own records report a draw.
    for name in ("sortition_algorithms", "sortition_algorithms_user"):
        logging.getLogger(name).setLevel(logging.WARNING)
    _validate(candidates, quotas, size)
    features: FeatureCollection = {}
    for q in sorted(quotas, key=lambda q: (q.feature, q.value)):
        features.setdefault(q.feature, {})[q.value] = FeatureValueMinMax(min=q.min, max=q.max)
    set_default_max_flex(features)  # as the library's own reader does: lets it suggest relaxations
    people = People(columns_to_keep=[])
    for row, c in enumerate(sorted(candidates, key=lambda c: c.pid)):
        people.add(c.pid, {k: c.features[k] for k in features}, features, row)

    seed = int(pool_digest(candidates)[:15], 16) or 1
    with _LIBRARY_LOCK:
        state = random.getstate()
        try:
            set_random_provider(seed)
            try:
                check_desired(features, size)
                check_enough_people_for_every_feature_value(features, people)
                committees, probs, _report = find_distribution_maximin(features, people, size, [])
                committees, probs = standardize_distribution(committees, probs)
                # Canonical order before rounding: the rounding walks the list in order.
                ordered = sorted(zip(committees, probs, strict=True), key=lambda cp: sorted(cp[0]))
                set_random_provider(seed)
                tickets_list = lottery_rounding(
                    [c for c, _p in ordered], [p for _c, p in ordered], LOTTERY_TICKETS
                )
            except sa_errors.InfeasibleQuotasError as exc:
                raise SortitionError(
                    "No panel can meet every quota with this pool.",
                    code="infeasible_quotas",
                    details=list(exc.all_lines[1:]),
                ) from exc
            except sa_errors.SelectionMultilineError as exc:
                raise SortitionError(
                    "The quotas cannot be met with this pool.",
                    code="infeasible_quotas",
                    details=list(exc.all_lines),
                ) from exc
            except sa_errors.InfeasibleQuotasCantRelaxError as exc:
                raise SortitionError(
                    "No panel can meet every quota with this pool, even with relaxed quotas.",
                    code="infeasible_quotas",
                ) from exc
            except sa_errors.SortitionBaseError as exc:
                raise SortitionError(str(exc), code="sortition_failed") from exc
        finally:
            set_random_provider(None)
            random.setstate(state)

    marginals: dict[str, float] = {}
    for committee, p in ordered:
        for pid in committee:
            marginals[pid] = marginals.get(pid, 0.0) + p
    grouped: dict[tuple[str, ...], int] = {}
    for committee in tickets_list:
        key = tuple(sorted(committee))
        grouped[key] = grouped.get(key, 0) + 1
    keys = sorted(grouped)
    lottery = Lottery(panels=[list(k) for k in keys], tickets=[grouped[k] for k in keys])
    lottery.probabilities = lottery_probabilities(lottery, (c.pid for c in candidates))
    lottery.maximin_value = min(marginals.get(c.pid, 0.0) for c in candidates)
    return lottery


def lottery_check(
    lottery: Lottery, candidates: Sequence[Candidate], quotas: Sequence[QuotaSpec], size: int
) -> list[str]:
    """Everything wrong with a published lottery (empty when it is sound)."""
    problems = []
    pool = {c.pid: c.features for c in candidates}
    if sum(lottery.tickets) != LOTTERY_TICKETS:
        problems.append(f"the lottery has {sum(lottery.tickets)} tickets, not {LOTTERY_TICKETS}")
    for i, panel in enumerate(lottery.panels):
        if len(set(panel)) != size:
            problems.append(f"panel {i} has {len(set(panel))} members, not {size}")
        unknown = [pid for pid in panel if pid not in pool]
        if unknown:
            problems.append(f"panel {i} names volunteers outside the pool: {unknown}")
            continue
        problems += [f"panel {i}: {v}" for v in quota_violations(panel, pool, quotas)]
    return problems


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
) -> dict[str, Any]:
    return {
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


@dataclass
class RerunReport:
    digest_matches: bool
    lottery_sound: bool
    panel_matches: bool
    reserve_matches: bool
    recomputed_lottery_identical: bool | None
    problems: list[str]

    @property
    def ok(self) -> bool:
        return (
            self.digest_matches
            and self.lottery_sound
            and self.panel_matches
            and self.reserve_matches
        )


def _timing_problem(payload: Mapping[str, Any], seed_recorded_at: str | None) -> str | None:
    """The commitment must precede the moment the seed exists, and the draw must follow it."""
    from datetime import datetime

    try:
        expected = datetime.fromisoformat(payload["seed_expected_at"])
        if (
            payload.get("published_at")
            and datetime.fromisoformat(payload["published_at"]) >= expected
        ):
            return "the commitment was published after the seed became known"
        if seed_recorded_at and datetime.fromisoformat(seed_recorded_at) < expected:
            return "the seed was recorded before the announced public value existed"
    except (KeyError, TypeError, ValueError):
        return "the bundle's dates are missing or malformed"
    return None


def rerun(
    bundle: Mapping[str, Any],
    *,
    published_digest: str,
    seed: str,
    published_panel: Sequence[str],
    published_reserve: Sequence[str],
    recompute: bool = True,
    seed_recorded_at: str | None = None,
) -> RerunReport:
    """Replay a draw from its published bundle (the commitment payload) and compare."""
    problems: list[str] = []
    payload = dict(bundle)
    digest_ok = commitment_digest(payload) == published_digest
    if not digest_ok:
        problems.append("the bundle does not hash to the published commitment")
    timing = _timing_problem(payload, seed_recorded_at)
    if timing:
        problems.append(timing)
        digest_ok = False
    candidates = [Candidate(row["id"], row["features"]) for row in payload["pool"]]
    quotas = [QuotaSpec(q["feature"], q["value"], q["min"], q["max"]) for q in payload["quotas"]]
    if pool_digest(candidates) != payload["pool_digest"]:
        problems.append("the pool does not hash to its published digest")
        digest_ok = False
    lottery = Lottery.from_json(payload["lottery"])
    lottery_problems = lottery_check(lottery, candidates, quotas, payload["panel_size"])
    problems += lottery_problems
    outcome = draw_select(
        lottery=lottery,
        pids=[c.pid for c in candidates],
        commitment_digest=published_digest,
        seed=seed,
        reserve_size=payload["reserve_size"],
    )
    panel_ok = outcome.panel == sorted(published_panel)
    reserve_ok = outcome.reserve == list(published_reserve)
    if not panel_ok:
        problems.append("the replayed panel differs from the published panel")
    if not reserve_ok:
        problems.append("the replayed reserve list differs from the published one")
    identical: bool | None = None
    if recompute:
        try:
            again = lottery_compute(candidates, quotas, payload["panel_size"])
        except SortitionError as exc:
            problems.append(f"recomputing the lottery failed: {exc}")
            identical = False
        else:
            identical = again.as_json() == lottery.as_json()
    return RerunReport(
        digest_matches=digest_ok,
        lottery_sound=not lottery_problems,
        panel_matches=panel_ok,
        reserve_matches=reserve_ok,
        recomputed_lottery_identical=identical,
        problems=problems,
    )


if __name__ == "__main__":
    _child_main()
