"""Step one, before the seed exists: the maximin distribution over panels (the Sortition
Foundation's `sortition-algorithms`, HiGHS solver) rounded into a transparent lottery of
LOTTERY_TICKETS equally likely tickets, computed in a child interpreter with a fixed hash seed."""

from __future__ import annotations

import importlib.util
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

from assembly.sortition.canonical import (
    LIBRARY,
    LOTTERY_TICKETS,
    Candidate,
    QuotaSpec,
    SortitionError,
    canonical_json,
    canonical_pool,
    canonical_quotas,
    inputs_validate,
    pool_digest,
    quota_violations,
)

_HASH_SEED = "0"
_CHILD_TIMEOUT = 600


# The library keeps its random source in a module global (and seeds the global `random`): two draws
# computed at once in one process would interleave their random streams.
_LIBRARY_LOCK = threading.Lock()


def library_version() -> str:
    return f"{LIBRARY} {version(LIBRARY)}"


@dataclass
class Lottery:
    """Equally likely tickets, grouped: `panels[i]` holds `tickets[i]` of the LOTTERY_TICKETS."""

    panels: list[list[str]]
    tickets: list[int]
    probabilities: dict[str, float] = field(
        default_factory=dict
    )  # per pid, exact under the lottery
    maximin_value: float = 0.0  # smallest selection probability of the optimal distribution
    # Per pid, the selection probability under the optimal distribution (before the rounding into
    # tickets): what the algorithm promises each volunteer, published with the commitment.
    targets: dict[str, float] = field(default_factory=dict)
    # Per pid, how many panels of the optimal distribution hold them: rounding each panel's
    # probability to whole tickets moves theirs by less than that many tickets.
    supports: dict[str, int] = field(default_factory=dict)

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
    root = Path(__file__).resolve().parents[2]  # the repository: assembly/sortition/ is two down
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
    lottery.targets = answer.get("targets", {})
    lottery.supports = answer.get("supports", {})
    return lottery


def child_main() -> None:
    _library_without_its_adapters()
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
            "targets": lottery.targets,
            "supports": lottery.supports,
        }
    sys.stdout.write(canonical_json(answer))


def _library_without_its_adapters() -> None:
    """In the child only: register the library's package without running its `__init__`, which
    imports the library's CSV and Google Sheets adapters (gspread, oauth2client, httplib2...) that a
    lottery never uses: 0.3 s of each child's 0.6 s, 96 children and about 30 CPU-seconds in a test
    run. The solver's modules (features, people, core, committee_generation) import one another by
    their full names and load as usual; nothing in the child asks the package itself for a name."""
    if "sortition_algorithms" in sys.modules:
        return
    spec = importlib.util.find_spec("sortition_algorithms")
    if spec is None or spec.submodule_search_locations is None:
        return  # not installed: the import below fails as it always did
    sys.modules["sortition_algorithms"] = importlib.util.module_from_spec(spec)


def _lottery_compute_here(
    candidates: Sequence[Candidate], quotas: Sequence[QuotaSpec], size: int
) -> Lottery:
    inputs_validate(candidates, quotas, size)
    # The solver is imported only here: the replay (and `tools/rerun_draw.py`) must run with the
    # standard library alone, and the library pulls in the HiGHS solver and numpy.
    from sortition_algorithms.features import (
        FeatureCollection,
        FeatureValueMinMax,
        set_default_max_flex,
    )
    from sortition_algorithms.people import People

    # The library logs every solver iteration to stdout at INFO; our own records report a draw.
    for name in ("sortition_algorithms", "sortition_algorithms_user"):
        logging.getLogger(name).setLevel(logging.WARNING)
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
            ordered, tickets = _library_solve(features, people, size, seed)
        finally:
            random.setstate(state)
    return _lottery_from_tickets(candidates, ordered, tickets)


def _library_solve(
    features: Any, people: Any, size: int, seed: int
) -> tuple[list[tuple[Any, float]], list[Any]]:
    """The maximin distribution (committees with their probabilities, in canonical order) and its
    rounding into tickets, both seeded from the pool; the library's errors become ours."""
    from sortition_algorithms import errors as sa_errors  # the solver: see _lottery_compute_here
    from sortition_algorithms.committee_generation import (
        find_distribution_maximin,
        standardize_distribution,
    )
    from sortition_algorithms.core import lottery_rounding
    from sortition_algorithms.features import check_desired
    from sortition_algorithms.people import check_enough_people_for_every_feature_value
    from sortition_algorithms.utils import set_random_provider

    set_random_provider(seed)
    try:
        check_desired(features, size)
        check_enough_people_for_every_feature_value(features, people)
        committees, probs, _report = find_distribution_maximin(features, people, size, [])
        committees, probs = standardize_distribution(committees, probs)
        # Canonical order before rounding: the rounding walks the list in order.
        ordered = sorted(zip(committees, probs, strict=True), key=lambda cp: sorted(cp[0]))
        set_random_provider(seed)
        tickets = lottery_rounding(
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
    return ordered, tickets


def _lottery_from_tickets(
    candidates: Sequence[Candidate], ordered: list[tuple[Any, float]], tickets: list[Any]
) -> Lottery:
    """Group identical tickets into panels, with each volunteer's exact probability under the
    lottery and the smallest probability of the optimal distribution."""
    marginals: dict[str, float] = {}
    supports: dict[str, int] = {}
    for committee, p in ordered:
        for pid in committee:
            marginals[pid] = marginals.get(pid, 0.0) + p
            supports[pid] = supports.get(pid, 0) + (p > 0)
    grouped: dict[tuple[str, ...], int] = {}
    for committee in tickets:
        key = tuple(sorted(committee))
        grouped[key] = grouped.get(key, 0) + 1
    keys = sorted(grouped)
    lottery = Lottery(panels=[list(k) for k in keys], tickets=[grouped[k] for k in keys])
    lottery.probabilities = lottery_probabilities(lottery, (c.pid for c in candidates))
    lottery.maximin_value = min(marginals.get(c.pid, 0.0) for c in candidates)
    lottery.targets = {c.pid: marginals.get(c.pid, 0.0) for c in sorted(candidates, key=_pid)}
    lottery.supports = {c.pid: supports.get(c.pid, 0) for c in sorted(candidates, key=_pid)}
    return lottery


def _pid(candidate: Candidate) -> str:
    return candidate.pid


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
