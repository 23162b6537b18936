"""One browser crawl per role and language that checks each page once it is loaded: axe-core and
the page's language (tests/e2e/accessibility.py) and, for the crawls that measure phones, the
layout at 390 and 320 px (tests/e2e/layout.py). Loading the pages is most of a crawl's time, so the
phone layout rides on the accessibility crawl instead of crawling again."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from django.test.signals import template_rendered

from tests.e2e.accessibility import (
    Violation,
    axe_violations,
    browser_fetcher,
    client_fetcher,
    install_axe,
)
from tests.e2e.crawler import Fetched
from tests.e2e.layout import is_measured, phone_problems

# The API explorer is a developer tool drawn by Swagger UI (third-party markup): not a resident
# page for axe (its language, CSP and headers are checked by tests/security).
NOT_AXE_PAGES = ("/api/v1/docs/",)
# The English crawls run axe on every page, as the French ones do (issue 19 asks for every page in
# both languages: about 188 pages drawn instead of 71, some 14 more CPU-seconds, docs/testing.md).
# E2E_AXE_EVERY_PAGE=0 checks each set of rendered templates once instead, for a quicker local run.
AXE_EVERY_PAGE = os.environ.get("E2E_AXE_EVERY_PAGE", "1") != "0"


@dataclass
class PageChecks:
    """A crawler `fetch` (crawler.crawl) that checks each page shown once, and what it found."""

    page: Any
    language: str
    # The live server's address (the `site` fixture): the host the in-process answers are for.
    site: str
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
        install_axe(self.page.context)
        self._load = browser_fetcher(self.page)
        self._ask = client_fetcher(self.page, self.language, self.site)

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


class TemplateLog:
    """The templates the application renders in this process, the live server's thread included:
    Django's test environment (set up by pytest-django) sends `template_rendered` for each one, its
    `{% include %}`s and its base templates too. The crawl asks one path at a time, so what is logged
    between two `take()`s is what the server rendered for that path."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def __enter__(self) -> TemplateLog:
        template_rendered.connect(self._record, dispatch_uid=f"crawl-templates-{id(self)}")
        return self

    def __exit__(self, *exc: object) -> None:
        template_rendered.disconnect(dispatch_uid=f"crawl-templates-{id(self)}")

    def _record(self, sender: Any, template: Any, **kwargs: Any) -> None:
        self.names.append(str(template.name))

    def take(self) -> frozenset[str]:
        names = frozenset(self.names)
        self.names.clear()
        return names


_HTML_LANG = re.compile(r"<html\b[^>]*?\blang=[\"']?([^\"'\s>]+)", re.I)


@dataclass
class OncePerTemplates(PageChecks):
    """The English crawls' checks. Every path is asked of the server (as `PageChecks` does), and
    the language of every page shown is read from its `<html lang>`; a page is drawn in the browser
    and checked by axe only when the templates the server rendered for it make a set that no page
    checked before rendered (`axed`, shared by the four roles' crawls of one test). A page's markup
    is its templates filled with its objects and words, and the French crawls check every page of
    every role with axe: what English changes is the words, which reach axe through each template
    once (a role that renders another branch of a page through another included template draws it
    again)."""

    axed: set[frozenset[str]] = field(default_factory=set)
    templates: TemplateLog = field(default_factory=TemplateLog)
    shown: list[str] = field(default_factory=list)

    def __call__(self, path: str) -> Fetched:
        if not self.ask_first:  # an e-mailed one-time link: opened and checked in the browser
            return super().__call__(path)
        self.templates.take()
        answer = self._ask(path)
        rendered = self.templates.take()
        shown = answer.final_path
        if not self._is_page(answer) or shown in self.shown or shown.startswith(NOT_AXE_PAGES):
            return answer
        self.shown.append(shown)
        match = _HTML_LANG.search(answer.html)
        lang = match.group(1) if match else None
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
        if rendered in self.axed and not AXE_EVERY_PAGE:
            return answer
        fetched = self._load(path)
        if self._is_page(fetched) and fetched.final_path not in self.checked:
            self._check_accessibility(path, fetched.final_path)
            self.axed.add(rendered)
        return fetched
