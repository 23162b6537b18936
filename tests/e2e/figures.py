"""Figures the proof suites print at the end of a run (pages checked, requests fuzzed...).

Lines go to files under tests/e2e/artifacts/ so that they survive pytest-xdist: each process of a
run writes its own file, and the controlling process prints the files written since it started.
tests/e2e/conftest.py and tests/security/conftest.py print them when those folders are named on
the command line; for a run of the whole tree with `-n 2`, whose controlling process loads no
sub-folder conftest, tests/conftest.py imports `pytest_terminal_summary` from here.
"""

from __future__ import annotations

import os
import re
import time
from typing import Any

from tests.e2e.browser import ARTIFACTS

PREFIX = "figures-"
STARTED = time.time()  # imported before any test of the run
FUZZ_LINE = re.compile(r"^schemathesis (\S+ \S+): (\d+) requests in ([0-9.]+) s$")


def record(line: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", f"pid{os.getpid()}")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with (ARTIFACTS / f"{PREFIX}{run}-{worker}.txt").open("a", encoding="utf-8") as out:
        out.write(line + "\n")


def lines() -> list[str]:
    """This run's lines; files of earlier runs are removed."""
    collected: list[str] = []
    for path in sorted(ARTIFACTS.glob(f"{PREFIX}*.txt")):
        if path.stat().st_mtime < STARTED:
            path.unlink(missing_ok=True)
        else:
            collected += path.read_text(encoding="utf-8").splitlines()
    return sorted(collected)


def print_summary(terminalreporter: Any) -> None:
    """Prints once, in the controlling process."""
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


def pytest_terminal_summary(terminalreporter: Any) -> None:
    print_summary(terminalreporter)
