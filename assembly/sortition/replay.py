"""Replaying a published draw and saying whether it matches: the one implementation behind both
`manage.py rerun_draw` and the standalone `tools/rerun_draw.py` (standard library only, but for
re-solving the distribution, which needs `sortition-algorithms`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from assembly.sortition.canonical import Candidate, QuotaSpec, SortitionError, pool_digest
from assembly.sortition.draw import commitment_digest, draw_select
from assembly.sortition.lottery import Lottery, lottery_check, lottery_compute


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


class SeedNotPublished(Exception):
    """The bundle has no seed yet: there is no draw to replay."""


def bundle_rerun(data: Mapping[str, Any], *, recompute: bool = True) -> RerunReport:
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
    )


def _yes(value: bool) -> str:
    return "yes" if value else "NO"


MATCH_LINE = "MATCH: the published panel follows from the published inputs."
MISMATCH_LINE = "MISMATCH: the published panel does not follow from the published inputs."


def report_lines(report: RerunReport) -> list[str]:
    """What the replay found, one line per check, then each problem (the verdict is MATCH_LINE or
    MISMATCH_LINE, according to `report.ok`)."""
    lines = [
        f"commitment digest matches: {_yes(report.digest_matches)}",
        f"committed lottery meets every quota: {_yes(report.lottery_sound)}",
        f"panel matches: {_yes(report.panel_matches)}",
        f"reserve list matches: {_yes(report.reserve_matches)}",
    ]
    if report.recomputed_lottery_identical is not None:
        lines.append(
            "lottery recomputed identically on this machine: "
            + ("yes" if report.recomputed_lottery_identical else "no (solver or platform differs)")
        )
    lines += [f"  - {problem}" for problem in report.problems]
    return lines
