"""Prints the security suites' figures (requests fuzzed, pages checked) at the end of a run."""

from __future__ import annotations

from typing import Any

from tests.e2e import figures


def pytest_terminal_summary(terminalreporter: Any) -> None:
    figures.print_summary(terminalreporter)
