"""Figures of the security suites, printed at the end of a run."""

from __future__ import annotations

import sys
from typing import Any


def pytest_terminal_summary(terminalreporter: Any) -> None:
    headers = sys.modules.get("tests.security.test_security_headers")
    fuzz = sys.modules.get("tests.security.test_schema_fuzz")
    lines = []
    if headers is not None:
        lines += headers.REPORT
    if fuzz is not None and fuzz.REPORT["operations"]:
        report = fuzz.REPORT
        lines.append(
            f"schemathesis: {report['operations']} operations fuzzed, {report['requests']} requests"
            f" ({fuzz.MAX_EXAMPLES} examples per operation and role, roles {', '.join(fuzz.FUZZ_ROLES)})"
            f" in {report['seconds']:.0f} s; {report['html_404']:.0f} HTML 404s on unroutable API paths"
        )
    if lines:
        terminalreporter.section("security suites")
        for line in lines:
            terminalreporter.line(line)
