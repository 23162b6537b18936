"""Replaying a published draw and saying whether it matches: the one implementation behind both
`manage.py rerun_draw` and the standalone `tools/rerun_draw.py` (standard library only, but for
re-solving the distribution, which needs `sortition-algorithms`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from assembly.sortition.beacon import beacon_problems
from assembly.sortition.canonical import Candidate, QuotaSpec, SortitionError, pool_digest
from assembly.sortition.draw import commitment_digest, draw_select
from assembly.sortition.fairness import SIMULATED_DRAWS, fairness_check
from assembly.sortition.lottery import Lottery, lottery_check, lottery_compute


@dataclass
class RerunReport:
    digest_matches: bool
    lottery_sound: bool
    panel_matches: bool
    reserve_matches: bool
    recomputed_lottery_identical: bool | None
    problems: list[str]
    # The seed is the randomness of the public round the commitment named (not typed by anyone).
    seed_from_beacon: bool = True
    # Each volunteer's probability keeps the algorithm's promise, and simulated draws agree.
    fair: bool = True
    fairness_lines: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.digest_matches
            and self.lottery_sound
            and self.panel_matches
            and self.reserve_matches
            and self.seed_from_beacon
            and self.fair
        )


def _timing_problem(payload: Mapping[str, Any], seed_recorded_at: str | None) -> str | None:
    """The commitment must precede the moment the seed exists, and the draw must follow it."""
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
    beacon: Mapping[str, Any] | None = None,
    simulated_draws: int = SIMULATED_DRAWS,
) -> RerunReport:
    """Replay a draw from its published bundle (the commitment payload) and compare; check that
    the seed is the named public round's randomness and that the lottery keeps its promise."""
    problems: list[str] = []
    payload = dict(bundle)
    beacon_ok = _beacon_check(payload, seed, beacon, problems)
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
    fairness = fairness_check(payload, digest=published_digest, draws=simulated_draws)
    problems += fairness.problems
    return RerunReport(
        digest_matches=digest_ok,
        lottery_sound=not lottery_problems,
        panel_matches=panel_ok,
        reserve_matches=reserve_ok,
        recomputed_lottery_identical=identical,
        problems=problems,
        seed_from_beacon=beacon_ok,
        fair=fairness.ok,
        fairness_lines=fairness.lines,
    )


def _beacon_check(
    payload: Mapping[str, Any],
    seed: str,
    beacon: Mapping[str, Any] | None,
    problems: list[str],
) -> bool:
    """The commitment names a public round; the bundle's round is that one and sound; the seed is
    its randomness. A bundle whose commitment names no round had a typed seed."""
    named = payload.get("beacon")
    if not named:
        problems.append(
            "the commitment names no public round: the seed was typed, anyone could have chosen it"
        )
        return False
    if beacon is None:
        problems.append("the bundle does not publish the round its seed comes from")
        return False
    found = beacon_problems(beacon, expected_round=int(named["round"]))
    if str(beacon.get("randomness", "")).lower() != seed:
        found.append("the seed is not the randomness of the named round")
    problems += found
    return not found


class SeedNotPublished(Exception):
    """The bundle has no seed yet: there is no draw to replay."""


def bundle_rerun(
    data: Mapping[str, Any], *, recompute: bool = True, simulated_draws: int = SIMULATED_DRAWS
) -> RerunReport:
    """Replay the draw of a published bundle (`/assembly/<id>/tirage.json`, or the same built from
    the database): the commitment payload, its digest, the seed, the panel and the reserve."""
    if not data.get("seed"):
        raise SeedNotPublished("The seed is not published yet: nothing to replay.")
    return rerun(
        data["payload"],
        published_digest=data["digest"],
        seed=data["seed"],
        published_panel=data["panel"],
        published_reserve=data["reserve"],
        recompute=recompute,
        seed_recorded_at=data.get("seed_recorded_at"),
        beacon=data.get("beacon"),
        simulated_draws=simulated_draws,
    )


def _yes(value: bool) -> str:
    return "yes" if value else "NO"


MATCH_LINE = (
    "MATCH: the published panel follows from the published inputs, by a fair lottery and a "
    "public seed."
)
MISMATCH_LINE = (
    "MISMATCH: the published panel does not follow from the published inputs by a fair lottery "
    "and a public seed."
)


def report_lines(report: RerunReport) -> list[str]:
    """What the replay found, one line per check, then each problem (the verdict is MATCH_LINE or
    MISMATCH_LINE, according to `report.ok`)."""
    lines = [
        f"commitment digest matches: {_yes(report.digest_matches)}",
        f"committed lottery meets every quota: {_yes(report.lottery_sound)}",
        f"panel matches: {_yes(report.panel_matches)}",
        f"reserve list matches: {_yes(report.reserve_matches)}",
        f"seed is the randomness of the public round named in advance: "
        f"{_yes(report.seed_from_beacon)}",
        f"each volunteer's chance keeps the algorithm's promise: {_yes(report.fair)}",
        *[f"  {line}" for line in report.fairness_lines],
    ]
    if report.recomputed_lottery_identical is not None:
        lines.append(
            "lottery recomputed identically on this machine: "
            + ("yes" if report.recomputed_lottery_identical else "no (solver or platform differs)")
        )
    lines += [f"  - {problem}" for problem in report.problems]
    return lines
