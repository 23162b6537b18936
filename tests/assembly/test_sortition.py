"""The draw as pure functions: quotas, determinism, the commitment, the replay."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assembly import sortition
from assembly.sortition import Candidate, QuotaSpec
from tests.assembly.drand_relay import synthetic_round

# The public round the bundles below name, and its randomness: their seed.
ROUND = synthetic_round(42)

QUOTAS = [
    QuotaSpec("genre", "f", 3, 4),
    QuotaSpec("genre", "m", 3, 4),
    QuotaSpec("age", "jeune", 2, 7),
    QuotaSpec("age", "senior", 1, 7),
    QuotaSpec("quartier", "nord", 2, 5),
    QuotaSpec("quartier", "sud", 2, 5),
]


def make_pool(n: int = 24, seed: int = 7) -> list[Candidate]:
    rng = random.Random(seed)
    return [
        Candidate(
            f"V-{i:04d}",
            {
                "genre": rng.choice(["f", "m"]),
                "age": rng.choice(["jeune", "jeune", "senior"]),
                "quartier": rng.choice(["nord", "sud"]),
            },
        )
        for i in range(n)
    ]


@pytest.fixture(scope="module")
def pool() -> list[Candidate]:
    return make_pool()


@pytest.fixture(scope="module")
def lottery(pool: list[Candidate]) -> sortition.Lottery:
    return sortition.lottery_compute(pool, QUOTAS, 7)


def test_every_panel_of_the_lottery_meets_every_quota(pool, lottery) -> None:
    assert sum(lottery.tickets) == sortition.LOTTERY_TICKETS
    assert sortition.lottery_check(lottery, pool, QUOTAS, 7) == []


def test_every_seed_selects_a_panel_that_meets_every_quota(pool, lottery) -> None:
    by_pid = {c.pid: c.features for c in pool}
    for seed in range(200):
        outcome = sortition.draw_select(
            lottery=lottery, pids=by_pid, commitment_digest="d", seed=str(seed), reserve_size=5
        )
        assert len(outcome.panel) == 7
        assert sortition.quota_violations(outcome.panel, by_pid, QUOTAS) == []
        assert not set(outcome.panel) & set(outcome.reserve)
        assert len(outcome.reserve) == 5


def test_selection_probabilities_are_reported_for_every_volunteer_and_sum_to_the_panel_size(
    pool, lottery
) -> None:
    assert set(lottery.probabilities) == {c.pid for c in pool}
    assert sum(lottery.probabilities.values()) == pytest.approx(7)
    # maximin: nobody who can sit is left with no chance
    assert min(lottery.probabilities.values()) > 0
    assert lottery.maximin_value > 0


def test_the_same_inputs_give_the_same_lottery_and_the_same_panel(pool, lottery) -> None:
    again = sortition.lottery_compute(list(reversed(pool)), list(reversed(QUOTAS)), 7)
    assert again.as_json() == lottery.as_json()
    first = sortition.draw_select(
        lottery=lottery,
        pids=[c.pid for c in pool],
        commitment_digest="x",
        seed="12 24",
        reserve_size=4,
    )
    second = sortition.draw_select(
        lottery=again,
        pids=[c.pid for c in reversed(pool)],
        commitment_digest="x",
        seed="12 24",
        reserve_size=4,
    )
    assert first == second


@pytest.mark.long
def test_the_lottery_does_not_depend_on_the_process_hash_seed(
    pool, lottery, tmp_path: Path
) -> None:
    """Python randomises string hashing per process; the library iterates sets of frozensets."""
    script = tmp_path / "again.py"
    script.write_text(
        "import json, sys\n"
        "from assembly import sortition\n"
        "from tests.assembly.test_sortition import QUOTAS, make_pool\n"
        "print(json.dumps(sortition.lottery_compute(make_pool(), QUOTAS, 7).as_json()))\n"
    )
    root = Path(__file__).resolve().parents[2]
    for hash_seed in ("1", "4242"):
        out = subprocess.run(
            [sys.executable, str(script)],
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(root)},
            capture_output=True,
            text=True,
            check=True,
        )
        assert json.loads(out.stdout.strip().splitlines()[-1]) == lottery.as_json()


def test_the_child_computes_the_lottery_without_the_library_s_spreadsheet_adapters(
    lottery, tmp_path: Path
) -> None:
    """The child interpreter loads the solver's modules without the library's package `__init__`
    (its Google Sheets adapters, half of the child's start-up) and gets the lottery a process that
    imported the whole package gets."""
    script = tmp_path / "child.py"
    script.write_text(
        "import json, sys\n"
        "from assembly.sortition.lottery import _library_without_its_adapters\n"
        "from assembly.sortition.lottery import _lottery_compute_here\n"
        "from tests.assembly.test_sortition import QUOTAS, make_pool\n"
        "if sys.argv[1] == 'alone':\n"
        "    _library_without_its_adapters()\n"
        "else:\n"
        "    import sortition_algorithms  # the whole package, adapters and all\n"
        "lottery = _lottery_compute_here(make_pool(), QUOTAS, 7).as_json()\n"
        "print(json.dumps({'lottery': lottery, 'gspread': 'gspread' in sys.modules}))\n"
    )
    root = Path(__file__).resolve().parents[2]
    answers = {}
    for way in ("alone", "whole"):
        out = subprocess.run(
            [sys.executable, str(script), way],
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(root)},
            capture_output=True,
            text=True,
            check=True,
        )
        answers[way] = json.loads(out.stdout.strip().splitlines()[-1])
    assert answers["alone"]["gspread"] is False and answers["whole"]["gspread"] is True
    assert answers["alone"]["lottery"] == answers["whole"]["lottery"] == lottery.as_json()


def test_a_different_seed_can_select_a_different_panel(pool, lottery) -> None:
    panels = {
        tuple(
            sortition.draw_select(
                lottery=lottery,
                pids=[c.pid for c in pool],
                commitment_digest="x",
                seed=str(s),
                reserve_size=0,
            ).panel
        )
        for s in range(30)
    }
    assert len(panels) > 1


def test_a_changed_pool_changes_the_pool_digest_and_the_commitment(pool, lottery) -> None:
    def digest(candidates: list[Candidate]) -> str:
        payload = sortition.commitment_payload(
            mandate_id=1,
            panel_size=7,
            reserve_size=2,
            candidates=candidates,
            quotas=QUOTAS,
            lottery=lottery,
            algorithm="maximin",
            library="x",
            seed_source="loto",
            seed_expected_at="t",
        )
        return sortition.commitment_digest(payload)

    changed = [
        *pool[:-1],
        Candidate(
            pool[-1].pid,
            {**pool[-1].features, "genre": "f" if pool[-1].features["genre"] == "m" else "m"},
        ),
    ]
    assert sortition.pool_digest(changed) != sortition.pool_digest(pool)
    assert digest(changed) != digest(pool)
    assert digest(pool[:-1]) != digest(pool)
    assert digest(list(reversed(pool))) == digest(pool)  # order of entry does not matter


def test_infeasible_quotas_raise_a_clear_error_with_a_suggested_relaxation() -> None:
    # Only 2 women in the pool, 3 required.
    pool = [Candidate(f"V-{i}", {"genre": "f" if i < 2 else "m"}) for i in range(10)]
    quotas = [QuotaSpec("genre", "f", 3, 4), QuotaSpec("genre", "m", 1, 4)]
    with pytest.raises(sortition.SortitionError) as exc:
        sortition.lottery_compute(pool, quotas, 5)
    assert exc.value.code == "infeasible_quotas"
    assert any("f" in line for line in exc.value.details)


def test_quotas_that_cannot_sum_to_the_panel_size_are_refused() -> None:
    pool = make_pool(12)
    quotas = [QuotaSpec("genre", "f", 1, 2), QuotaSpec("genre", "m", 1, 2)]
    with pytest.raises(sortition.SortitionError) as exc:
        sortition.lottery_compute(pool, quotas, 7)
    assert exc.value.code == "infeasible_quotas"


def test_jointly_infeasible_quotas_are_detected_by_the_solver() -> None:
    # Each quota alone is satisfiable; together they are not: every woman lives in the north.
    pool = [
        Candidate(
            f"V-{i}", {"genre": "f" if i < 4 else "m", "quartier": "nord" if i < 4 else "sud"}
        )
        for i in range(10)
    ]
    quotas = [
        QuotaSpec("genre", "f", 2, 2),
        QuotaSpec("genre", "m", 2, 2),
        QuotaSpec("quartier", "nord", 0, 1),
        QuotaSpec("quartier", "sud", 3, 4),
    ]
    with pytest.raises(sortition.SortitionError) as exc:
        sortition.lottery_compute(pool, quotas, 4)
    assert exc.value.code == "infeasible_quotas"


def test_a_pool_smaller_than_the_panel_is_refused() -> None:
    with pytest.raises(sortition.SortitionError) as exc:
        sortition.lottery_compute(make_pool(3), QUOTAS, 7)
    assert exc.value.code == "pool_too_small"


def test_a_volunteer_without_a_value_for_a_criterion_is_refused() -> None:
    pool = [*make_pool(12), Candidate("V-x", {"genre": "f", "age": "jeune"})]
    with pytest.raises(sortition.SortitionError) as exc:
        sortition.lottery_compute(pool, QUOTAS, 7)
    assert exc.value.code == "missing_feature_value"


def _bundle(pool, lottery, seed=ROUND["randomness"]):  # type: ignore[no-untyped-def]
    payload = sortition.commitment_payload(
        mandate_id=1,
        panel_size=7,
        reserve_size=3,
        candidates=pool,
        quotas=QUOTAS,
        lottery=lottery,
        algorithm="maximin",
        library="x",
        seed_source="drand round 42",
        seed_expected_at="2026-12-05T20:00:00+00:00",
        beacon={"round": 42},
    )
    digest = sortition.commitment_digest(payload)
    outcome = sortition.draw_select(
        lottery=lottery,
        pids=[c.pid for c in pool],
        commitment_digest=digest,
        seed=seed,
        reserve_size=3,
    )
    return payload, digest, outcome


def test_the_rerun_of_a_published_draw_matches(pool, lottery) -> None:
    payload, digest, outcome = _bundle(pool, lottery)
    report = sortition.rerun(
        payload,
        published_digest=digest,
        seed=ROUND["randomness"],
        published_panel=outcome.panel,
        published_reserve=outcome.reserve,
        recompute=False,
        beacon=ROUND,
    )
    assert report.ok, report.problems


def test_the_rerun_detects_a_panel_that_does_not_follow_from_the_inputs(pool, lottery) -> None:
    payload, digest, outcome = _bundle(pool, lottery)
    outsider = next(c.pid for c in pool if c.pid not in outcome.panel)
    forged = [*outcome.panel[1:], outsider]
    report = sortition.rerun(
        payload,
        published_digest=digest,
        seed=ROUND["randomness"],
        published_panel=forged,
        published_reserve=outcome.reserve,
        recompute=False,
    )
    assert not report.ok
    assert not report.panel_matches


def test_the_rerun_detects_a_pool_edited_after_the_commitment(pool, lottery) -> None:
    payload, digest, outcome = _bundle(pool, lottery)
    tampered = json.loads(json.dumps(payload))
    tampered["pool"][0]["features"]["genre"] = (
        "m" if tampered["pool"][0]["features"]["genre"] == "f" else "f"
    )
    report = sortition.rerun(
        tampered,
        published_digest=digest,
        seed=ROUND["randomness"],
        published_panel=outcome.panel,
        published_reserve=outcome.reserve,
        recompute=False,
    )
    assert not report.digest_matches
    assert not report.ok


def test_the_rerun_detects_a_lottery_panel_that_breaks_a_quota(pool, lottery) -> None:
    payload, _digest, _outcome = _bundle(pool, lottery)
    men = [c.pid for c in pool if c.features["genre"] == "m"][:7]
    payload["lottery"][0]["panel"] = sorted(men)
    digest = sortition.commitment_digest(payload)  # even a self-consistent forgery
    outcome = sortition.draw_select(
        lottery=sortition.Lottery.from_json(payload["lottery"]),
        pids=[c.pid for c in pool],
        commitment_digest=digest,
        seed="1",
        reserve_size=3,
    )
    report = sortition.rerun(
        payload,
        published_digest=digest,
        seed="1",
        published_panel=outcome.panel,
        published_reserve=outcome.reserve,
        recompute=False,
    )
    assert not report.lottery_sound
    assert not report.ok


def test_the_rerun_recomputes_the_lottery_identically_on_the_same_platform(pool, lottery) -> None:
    payload, digest, outcome = _bundle(pool, lottery)
    report = sortition.rerun(
        payload,
        published_digest=digest,
        seed=ROUND["randomness"],
        published_panel=outcome.panel,
        published_reserve=outcome.reserve,
        recompute=True,
    )
    assert report.recomputed_lottery_identical is True


def test_an_empty_seed_is_refused(pool, lottery) -> None:
    with pytest.raises(sortition.SortitionError):
        sortition.draw_select(
            lottery=lottery,
            pids=[c.pid for c in pool],
            commitment_digest="d",
            seed="",
            reserve_size=1,
        )


def test_the_library_random_state_is_restored_after_a_computation(pool) -> None:
    random.seed(123)
    expected = random.random()
    random.seed(123)
    sortition.lottery_compute(pool, QUOTAS, 7)
    assert random.random() == expected


def test_the_rerun_refuses_a_commitment_published_after_the_seed_existed(pool, lottery) -> None:
    payload = sortition.commitment_payload(
        mandate_id=1,
        panel_size=7,
        reserve_size=3,
        candidates=pool,
        quotas=QUOTAS,
        lottery=lottery,
        algorithm="maximin",
        library="x",
        seed_source="loto",
        seed_expected_at="2026-12-05T20:00:00+00:00",
        published_at="2026-12-06T08:00:00+00:00",
    )
    digest = sortition.commitment_digest(payload)
    outcome = sortition.draw_select(
        lottery=lottery,
        pids=[c.pid for c in pool],
        commitment_digest=digest,
        seed="s",
        reserve_size=3,
    )
    report = sortition.rerun(
        payload,
        published_digest=digest,
        seed="s",
        published_panel=outcome.panel,
        published_reserve=outcome.reserve,
        recompute=False,
    )
    assert not report.ok
    assert "published after the seed" in " ".join(report.problems)


def test_the_rerun_refuses_a_seed_recorded_before_the_announced_value_existed(
    pool, lottery
) -> None:
    payload = sortition.commitment_payload(
        mandate_id=1,
        panel_size=7,
        reserve_size=3,
        candidates=pool,
        quotas=QUOTAS,
        lottery=lottery,
        algorithm="maximin",
        library="x",
        seed_source="drand round 42",
        seed_expected_at="2026-12-05T20:00:00+00:00",
        published_at="2026-12-01T08:00:00+00:00",
        beacon={"round": 42},
    )
    digest = sortition.commitment_digest(payload)
    outcome = sortition.draw_select(
        lottery=lottery,
        pids=[c.pid for c in pool],
        commitment_digest=digest,
        seed=ROUND["randomness"],
        reserve_size=3,
    )
    kwargs = {
        "published_digest": digest,
        "seed": ROUND["randomness"],
        "published_panel": outcome.panel,
        "published_reserve": outcome.reserve,
        "recompute": False,
        "beacon": ROUND,
    }
    assert sortition.rerun(payload, seed_recorded_at="2026-12-05T21:00:00+00:00", **kwargs).ok  # type: ignore[arg-type]
    early = sortition.rerun(payload, seed_recorded_at="2026-12-05T19:00:00+00:00", **kwargs)  # type: ignore[arg-type]
    assert not early.ok


@pytest.mark.long
@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 10_000),
    size=st.integers(4, 8),
    n=st.integers(8, 20),
    women_min=st.integers(0, 4),
)
def test_property_whenever_the_quotas_are_feasible_every_possible_panel_meets_them(
    seed, size, n, women_min
) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    pool = [
        Candidate(
            f"V-{i:03d}",
            {"genre": rng.choice("fm"), "quartier": rng.choice(["nord", "sud", "est"])},
        )
        for i in range(n)
    ]
    quotas = [
        QuotaSpec("genre", "f", women_min, size),
        QuotaSpec("genre", "m", 1, size),
        QuotaSpec("quartier", "nord", 1, size),
        QuotaSpec("quartier", "sud", 0, size),
        QuotaSpec("quartier", "est", 0, size),
    ]
    try:
        lottery = sortition.lottery_compute(pool, quotas, size)
    except sortition.SortitionError as exc:
        assert exc.code in ("infeasible_quotas", "pool_too_small")
        return
    assert sortition.lottery_check(lottery, pool, quotas, size) == []
