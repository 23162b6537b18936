"""A same-origin crawler shared by the accessibility (browser) and security-header (test client)
suites, so that every page an instrument adds is checked as soon as a link or an entry URL reaches it.

`crawl(fetch, start=ENTRY_URLS)` starts from the home page and the entry URLs, follows every
same-origin `<a href>` of each HTML page it gets, and returns what it visited. `fetch(path)` is
given by the caller (a Playwright page, or Django's test client) and returns a `Fetched`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

# Pages no link may reach (a form's result, a page behind a login a crawl role may not have, an
# instrument's list that is only linked from the navigation). New instruments' roots are here so
# their pages are reached as soon as the apps mount them.
ENTRY_URLS: tuple[str, ...] = (
    "/",
    "/accounts/signup/",
    "/accounts/login/",
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/accounts/confirm-email/",
    "/accounts/email/",
    "/accounts/password/change/",
    "/me/verify/",
    "/me/inbox/",
    "/me/data/",
    "/staff/",
    "/staff/register/import/",
    "/staff/verify/",
    "/staff/registre/",
    "/referendums/agents/calendrier/",
    "/referendums/agents/bureaux/",
    "/referendums/agents/bureaux/nouveau/",
    "/admin/login/",
    "/api/v1/docs/",
    "/initiatives/",
    "/initiatives/new/instrument/",
    "/referendums/",
    "/referendums/polling-stations/?q=rue+Carnot",
    "/assembly/",
)

# Never followed: downloads and machine endpoints, the Django admin beyond its login page (a
# third-party interface, checked separately), language and logout forms' targets.
SKIPPED = (
    re.compile(r"^/static/"),
    re.compile(r"^/media/"),
    re.compile(r"^/api/(?!v1/docs/$)"),
    re.compile(r"^/admin/(?!login/$)"),
    re.compile(r"^/i18n/"),
    re.compile(r"^/accounts/logout/"),
    re.compile(r"^/healthz$"),
    re.compile(r"[?&]format=(json|csv|xlsx)"),
    re.compile(r"\.(csv|json|xlsx|pdf|zip|ics|xml|png)$"),
)

MAX_PAGES = int(os.environ.get("CRAWL_MAX_PAGES", "300"))


@dataclass(frozen=True)
class Fetched:
    status: int
    content_type: str
    html: str
    # The path finally shown, after redirects (a login page for a closed page).
    final_path: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Visit:
    path: str
    fetched: Fetched
    linked_from: str | None


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def neutral_path(path: str) -> str:
    """The path without its language prefix: a crawl stays in the language of its browser (an
    English context takes every page under /en/, tests/e2e/conftest.py), so the language switch's
    link to the other language leads back to a page already seen, not across languages."""
    if path == "/en" or path.startswith("/en/"):
        return path[3:] or "/"
    return path


def same_origin_paths(html: str, base_path: str) -> list[str]:
    """The same-origin paths (with query) the page links to, without fragments or language."""
    parser = _Links()
    parser.feed(html)
    paths = []
    for href in parser.hrefs:
        if href.startswith(("mailto:", "tel:", "javascript:", "data:")):
            continue
        absolute = urljoin("http://site.invalid" + base_path, href)
        absolute, _fragment = urldefrag(absolute)
        parts = urlsplit(absolute)
        if parts.netloc != "site.invalid":
            continue
        path = neutral_path(parts.path) + (f"?{parts.query}" if parts.query else "")
        paths.append(path)
    return paths


def is_skipped(path: str) -> bool:
    return any(pattern.search(path) for pattern in SKIPPED)


def crawl(
    fetch: Callable[[str], Fetched],
    *,
    start: Iterable[str] = ENTRY_URLS,
    max_pages: int = MAX_PAGES,
) -> list[Visit]:
    """Breadth-first over same-origin links; each path is fetched once."""
    queue: list[tuple[str, str | None]] = [(path, None) for path in start]
    seen: set[str] = set()
    visits: list[Visit] = []
    while queue and len(visits) < max_pages:
        path, parent = queue.pop(0)
        if path in seen or is_skipped(path):
            continue
        seen.add(path)
        fetched = fetch(path)
        visits.append(Visit(path=path, fetched=fetched, linked_from=parent))
        if fetched.status == 200 and fetched.content_type.startswith("text/html"):
            for link in same_origin_paths(fetched.html, fetched.final_path or path):
                if link not in seen:
                    queue.append((link, path))
    return visits


def is_html_page(visit: Visit) -> bool:
    return visit.fetched.status == 200 and visit.fetched.content_type.startswith("text/html")


def summary(visits: list[Visit], label: str) -> str:
    pages = [v for v in visits if is_html_page(v)]
    lines = [f"{label}: {len(visits)} paths visited, {len(pages)} HTML pages"]
    for visit in visits:
        shown = visit.fetched.final_path
        redirect = f" -> {shown}" if shown and shown != visit.path.split("?")[0] else ""
        lines.append(f"  {visit.fetched.status} {visit.path}{redirect}")
    return "\n".join(lines)
