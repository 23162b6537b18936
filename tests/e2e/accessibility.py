"""axe-core (bundled by axe-playwright-python) on a Playwright page, at WCAG 2.1 A and AA."""

from __future__ import annotations

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


def axe_violations(page: Any, path: str) -> list[Violation]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=AXE_OPTIONS)
    return [
        Violation(
            path=path,
            rule=item["id"],
            impact=item.get("impact") or "",
            help=item.get("help", ""),
            targets=[" ".join(map(str, node.get("target", []))) for node in item["nodes"]],
        )
        for item in results.response["violations"]
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
