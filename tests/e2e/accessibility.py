"""axe-core (bundled by axe-playwright-python) on a Playwright page, at WCAG 2.1 A and AA."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tests.e2e.browser import in_english
from tests.e2e.crawler import Fetched, neutral_path

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS: dict[str, Any] = {
    "runOnly": {"type": "tag", "values": WCAG_TAGS},
    "resultTypes": ["violations"],
}


@dataclass
class Violation:
    path: str
    rule: str
    impact: str
    help: str
    targets: list[str]

    def __str__(self) -> str:
        shown = ", ".join(self.targets[:3]) + (" ..." if len(self.targets) > 3 else "")
        return f"{self.path}: {self.rule} ({self.impact}) {self.help} -> {shown}"


@functools.cache
def axe_script() -> str:
    """axe-core's source as axe-playwright-python bundles it (570 KB, read once)."""
    from axe_playwright_python.sync_playwright import Axe

    return str(Axe().axe_script)


def install_axe(context: Any) -> None:
    """axe-core in every document the browser context opens from now on (added before the page's
    own scripts, which do not use the name `axe`): sent to the browser once for a whole crawl
    instead of with each page checked, which cost 0.2-0.3 s a page."""
    context.add_init_script(axe_script())


def axe_violations(page: Any, path: str) -> list[Violation]:
    if not page.evaluate("() => typeof window.axe === 'object' && !!window.axe.run"):
        page.evaluate(axe_script())
    response = page.evaluate("options => axe.run(options)", AXE_OPTIONS)
    return [
        Violation(
            path=path,
            rule=item["id"],
            impact=item.get("impact") or "",
            help=item.get("help", ""),
            targets=[" ".join(map(str, node.get("target", []))) for node in item["nodes"]],
        )
        for item in response["violations"]
    ]


def request_fetcher(page: Any, language: str) -> Any:
    """A crawler `fetch` that asks the server for a path as the page's browser would (its
    context's cookies and language, following redirects) without drawing it in the browser."""
    request = page.context.request

    def fetch(path: str) -> Fetched:
        response = request.get(in_english(path) if language == "en" else path)
        headers = response.headers
        content_type = headers.get("content-type", "")
        return Fetched(
            status=response.status,
            content_type=content_type,
            html=response.text() if content_type.startswith("text/html") else "",
            final_path=neutral_path(urlsplit(response.url).path),
            headers=headers,
        )

    return fetch


def browser_fetcher(page: Any) -> Any:
    """A crawler `fetch` that loads each path in the browser page (following redirects)."""

    def fetch(path: str) -> Fetched:
        response = page.goto(path, wait_until="load")
        status = response.status if response is not None else 0
        headers = response.all_headers() if response is not None else {}
        content_type = headers.get("content-type", "")
        html = page.content() if content_type.startswith("text/html") else ""
        return Fetched(
            status=status,
            content_type=content_type,
            html=html,
            final_path=neutral_path(urlsplit(page.url).path),
            headers=headers,
        )

    return fetch
