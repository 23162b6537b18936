"""Figures the proof suites print at the end of a run (pages checked, requests fuzzed...).

Lines go to files under tests/e2e/artifacts/ so that they survive pytest-xdist: workers write,
the controlling process prints them in its terminal summary.
"""

from __future__ import annotations

import os
import re
from typing import Any

from tests.e2e.browser import ARTIFACTS

PREFIX = "figures-"


def record(line: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with (ARTIFACTS / f"{PREFIX}{worker}.txt").open("a", encoding="utf-8") as out:
        out.write(line + "\n")


def reset(config: Any) -> None:
    if hasattr(config, "workerinput") or getattr(config, "_proof_figures_reset", False):
        return  # an xdist worker (the controller cleared them), or already done
    config._proof_figures_reset = True
    for path in ARTIFACTS.glob(f"{PREFIX}*.txt"):
        path.unlink()


def lines() -> list[str]:
    collected: list[str] = []
    for path in sorted(ARTIFACTS.glob(f"{PREFIX}*.txt")):
        collected += path.read_text(encoding="utf-8").splitlines()
    return sorted(collected)


FUZZ_LINE = re.compile(r"^schemathesis (\S+ \S+): (\d+) requests in ([0-9.]+) s$")


def print_summary(terminalreporter: Any) -> None:
    """Called by both suites' conftest.py: prints once, in the controlling process."""
    config = terminalreporter.config
    if hasattr(config, "workerinput") or getattr(config, "_proof_figures_printed", False):
        return
    config._proof_figures_printed = True
    found = lines()
    if not found:
        return
    terminalreporter.section("proof figures (tests/e2e, tests/security)")
    operations = requests = 0
    seconds = 0.0
    for line in found:
        if match := FUZZ_LINE.match(line):
            operations += 1
            requests += int(match.group(2))
            seconds += float(match.group(3))
        else:
            terminalreporter.line(line)
    if operations:
        terminalreporter.line(
            f"schemathesis: {operations} operations fuzzed, {requests} requests in {seconds:.0f} s"
            " (per operation: tests/e2e/artifacts/figures-*.txt)"
        )
