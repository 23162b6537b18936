"""Is the draw fair, not only reproducible? Each volunteer's selection probability under the
committed lottery, against what the algorithm promised at commitment; then many simulated draws
through the same selection function, against those exact probabilities.

Standard library only: it runs inside `tools/rerun_draw.py`.
"""

from __future__ import annotations

import bisect
import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assembly.sortition.canonical import LOTTERY_TICKETS
from assembly.sortition.lottery import Lottery, lottery_probabilities

# Rounding the optimal distribution into M = LOTTERY_TICKETS equally likely tickets gives each of
# its panels the floor or the ceiling of M times its probability: a volunteer held by s panels of
# the distribution moves by less than s tickets, so the check allows max(s, 1)/M (the promise
# publishes s per volunteer; k/M, k the panel size, for a promise without it) and reports any
# larger gap. The simulation's tolerance is five standard deviations of a frequency over
# SIMULATED_DRAWS draws, plus one draw.
SIMULATED_DRAWS = 20_000
SIMULATION_SIGMAS = 5.0
_EPSILON = 1e-9


def rounding_tolerance(panel_size: int, tickets: int = LOTTERY_TICKETS) -> float:
    return panel_size / tickets


@dataclass
class FairnessReport:
    ok: bool
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    exact: dict[str, float] = field(default_factory=dict)
    simulated: dict[str, float] = field(default_factory=dict)


def _simulate(lottery: Lottery, pids: Sequence[str], digest: str, draws: int) -> dict[str, float]:
    """How often each volunteer is drawn over `draws` seeds through the draw's own ticket rule
    (`SHA-256(digest, seed) mod M`, then the ticket's panel)."""
    cumulative: list[int] = []
    total = 0
    for n in lottery.tickets:
        total += n
        cumulative.append(total)
    counts = dict.fromkeys(pids, 0)
    for k in range(draws):
        seed = f"simulation-{k}"
        ticket = int.from_bytes(hashlib.sha256(f"{digest}\n{seed}".encode()).digest(), "big")
        ticket %= LOTTERY_TICKETS
        index = bisect.bisect_right(cumulative, ticket)
        if index >= len(lottery.panels):
            continue  # a lottery short of tickets: lottery_check reports it
        for pid in lottery.panels[index]:
            counts[pid] = counts.get(pid, 0) + 1
    return {pid: n / draws for pid, n in counts.items()}


def fairness_check(
    payload: Mapping[str, Any], *, digest: str, draws: int = SIMULATED_DRAWS
) -> FairnessReport:
    """The promise (maximin value and each volunteer's optimal probability, in the commitment)
    against the exact probabilities of the committed lottery, then a simulation of `draws` draws
    against those exact probabilities."""
    report = FairnessReport(ok=True)
    lottery = Lottery.from_json(payload["lottery"])
    pids = [row["id"] for row in payload["pool"]]
    size = int(payload["panel_size"])
    exact = lottery_probabilities(lottery, pids)
    report.exact = exact
    promise = payload.get("promise")
    if promise:
        maximin = float(promise["maximin"])
        targets = {pid: float(p) for pid, p in promise["targets"].items()}
        supports = promise.get("supports")

        def tolerance(pid: str) -> float:
            if supports is None:
                return rounding_tolerance(size)
            return max(int(supports.get(pid, 0)), 1) / LOTTERY_TICKETS

        lowest_pid = min(exact, key=lambda pid: (exact[pid], pid))
        report.lines.append(
            f"smallest selection probability: {exact[lowest_pid]:.4f} "
            f"(promised at least {maximin:.4f} - {tolerance(lowest_pid):.4f} for the rounding)"
        )
        if exact[lowest_pid] < maximin - tolerance(lowest_pid) - _EPSILON:
            report.problems.append(
                f"{lowest_pid} is drawn with probability {exact[lowest_pid]:.4f}, below the "
                f"promised minimum {maximin:.4f}"
            )
        missing = sorted(set(pids) - set(targets))
        if missing:
            report.problems.append(f"the promise names no probability for {missing[:5]}")
        worst, worst_allowed = 0.0, 0.0
        for pid in pids:
            gap = abs(exact[pid] - targets.get(pid, 0.0))
            if gap > worst:
                worst, worst_allowed = gap, tolerance(pid)
            if gap > tolerance(pid) + _EPSILON:
                report.problems.append(
                    f"{pid}: probability {exact[pid]:.4f} under the lottery, "
                    f"{targets.get(pid, 0.0):.4f} promised"
                )
        report.lines.append(
            f"each volunteer's probability against the promise: largest gap {worst:.4f} "
            f"(allowed for that volunteer by the rounding: {worst_allowed:.4f})"
        )
    else:
        report.lines.append("the bundle states no per-volunteer promise (older format)")
    if draws > 0:
        simulated = _simulate(lottery, pids, digest, draws)
        report.simulated = simulated
        worst_z = 0.0
        for pid in pids:
            p = exact[pid]
            sigma = math.sqrt(max(p * (1 - p), 0.0) / draws)
            allowed = SIMULATION_SIGMAS * sigma + 1 / draws
            gap = abs(simulated[pid] - p)
            worst_z = max(worst_z, gap / sigma if sigma else (0.0 if gap <= allowed else math.inf))
            if gap > allowed:
                report.problems.append(
                    f"{pid}: drawn {simulated[pid]:.4f} of {draws} simulated draws, "
                    f"probability {p:.4f}"
                )
        report.lines.append(
            f"{draws} simulated draws: largest deviation {worst_z:.1f} standard deviations "
            f"(tolerance {SIMULATION_SIGMAS:.0f})"
        )
    report.ok = not report.problems
    return report
