"""One browser crawl per role and language that checks each page once it is loaded: axe-core and
the page's language (tests/e2e/accessibility.py) and, for the crawls that measure phones, the
layout at 390 and 320 px (tests/e2e/layout.py). Loading the pages is most of a crawl's time, so the
phone layout rides on the accessibility crawl instead of crawling again."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.e2e.accessibility import Violation, axe_violations, browser_fetcher
from tests.e2e.crawler import Fetched
from tests.e2e.layout import is_measured, phone_problems

# The API explorer is a developer tool drawn by Swagger UI (third-party markup): not a resident
# page for axe (its language, CSP and headers are checked by tests/security).
NOT_AXE_PAGES = ("/api/v1/docs/",)


@dataclass
class PageChecks:
    """A crawler `fetch` (crawler.crawl) that checks each page shown once, and what it found."""

    page: Any
    language: str
    # Measure the phone layout of the pages loaded while this is on (the crawl of the entry URLs).
    phone: bool = False
    checked: list[str] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    measured: list[str] = field(default_factory=list)
    layout_problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._load = browser_fetcher(self.page)

    def __call__(self, path: str) -> Fetched:
        fetched = self._load(path)
        # A closed page redirects to the login form: check each page shown once.
        shown = fetched.final_path
        if fetched.status == 200 and fetched.content_type.startswith("text/html"):
            if shown not in self.checked and not shown.startswith(NOT_AXE_PAGES):
                self._check_accessibility(path, shown)
            if self.phone and shown not in self.measured and is_measured(shown):
                self.measured.append(shown)
                self.layout_problems.extend(phone_problems(self.page, shown))
        return fetched

    def _check_accessibility(self, path: str, shown: str) -> None:
        lang = self.page.locator("html").get_attribute("lang")
        if lang != self.language:
            self.violations.append(
                Violation(
                    path,
                    "page-language",
                    "serious",
                    f"lang={lang!r}, asked {self.language}",
                    ["html"],
                )
            )
        self.violations.extend(axe_violations(self.page, shown))
        self.checked.append(shown)
