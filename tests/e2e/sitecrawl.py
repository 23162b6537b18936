"""One browser crawl per role and language that checks each page once it is loaded: axe-core and
the page's language (tests/e2e/accessibility.py) and, for the crawls that measure phones, the
layout at 390 and 320 px (tests/e2e/layout.py). Loading the pages is most of a crawl's time, so the
phone layout rides on the accessibility crawl instead of crawling again."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.e2e.accessibility import Violation, axe_violations, browser_fetcher, request_fetcher
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
    # Ask the server first and draw in the browser only a page still to check (see __call__); off
    # for links whose first opening is what is under test (an e-mailed one-time link).
    ask_first: bool = True
    checked: list[str] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    measured: list[str] = field(default_factory=list)
    layout_problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._load = browser_fetcher(self.page)
        self._ask = request_fetcher(self.page, self.language)

    def __call__(self, path: str) -> Fetched:
        # Most paths a crawl follows show a page already checked (a closed page's login form, the
        # login and sign-up forms again with another `next`): the server's answer, asked with the
        # browser's cookies, gives their status and links without drawing them in the browser.
        # A page still to check is loaded in the browser and checked as it is drawn.
        if self.ask_first:
            answer = self._ask(path)
            if not self._to_check(answer):
                return answer
        fetched = self._load(path)
        # A closed page redirects to the login form: check each page shown once.
        shown = fetched.final_path
        if self._is_page(fetched):
            if shown not in self.checked and not shown.startswith(NOT_AXE_PAGES):
                self._check_accessibility(path, shown)
            if self.phone and shown not in self.measured and is_measured(shown):
                self.measured.append(shown)
                self.layout_problems.extend(phone_problems(self.page, shown))
        return fetched

    @staticmethod
    def _is_page(fetched: Fetched) -> bool:
        return fetched.status == 200 and fetched.content_type.startswith("text/html")

    def _to_check(self, answer: Fetched) -> bool:
        """Whether the page this answer shows has a check still to run (axe, or phone layout)."""
        shown = answer.final_path
        if not self._is_page(answer):
            return False
        if shown not in self.checked and not shown.startswith(NOT_AXE_PAGES):
            return True
        return self.phone and shown not in self.measured and is_measured(shown)

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
