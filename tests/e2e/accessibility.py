"""axe-core (bundled by axe-playwright-python) on a Playwright page, at WCAG 2.1 A and AA."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.test import Client

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


def client_fetcher(page: Any, language: str, site: str) -> Any:
    """A crawler `fetch` that asks the application for a path in this process, as the page's
    browser would ask the live server (the context's cookies, the server's host, redirects on the
    site followed) without drawing it. Asked through the browser context's request API instead, each
    answer crossed Playwright's driver and a socket: 42 ms a path against 21 ms here. The cookies
    an answer sets or deletes are set or deleted in the browser context, as its request would have."""
    context = page.context
    host = urlsplit(site).netloc
    client = Client(
        HTTP_HOST=host,
        HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9" if language == "en" else "fr-FR,fr;q=0.9",
        raise_request_exception=False,  # a server error is a 500 the crawl reports, as over HTTP
    )

    def fetch(path: str) -> Fetched:
        client.cookies = SimpleCookie({c["name"]: c["value"] for c in context.cookies(site)})
        url = in_english(path) if language == "en" else path
        for _ in range(MAX_REDIRECTS):
            response = client.get(url)
            _keep_cookies(context, site, response)
            location = response.get("Location", "")
            if response.status_code not in REDIRECTS or urlsplit(location).netloc not in ("", host):
                break
            url = urljoin(url, location)
        content_type = response.get("Content-Type", "")
        html = ""
        if content_type.startswith("text/html"):
            html = response.getvalue().decode(response.charset or "utf-8")  # streamed or not
        return Fetched(
            status=response.status_code,
            content_type=content_type,
            html=html,
            final_path=neutral_path(urlsplit(url).path),
            headers={key.lower(): value for key, value in response.items()},
        )

    return fetch


MAX_REDIRECTS = 10
REDIRECTS = (301, 302, 303, 307, 308)


def _keep_cookies(context: Any, site: str, response: Any) -> None:
    for name, morsel in response.cookies.items():
        if morsel["max-age"] == 0 or (morsel.value == "" and morsel["expires"]):
            context.clear_cookies(name=name)
        else:
            context.add_cookies([{"name": name, "value": morsel.value, "url": site}])


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
