"""Security headers and a Content-Security-Policy without 'unsafe-inline' on every crawled page.

The same crawler as the accessibility suite (tests/e2e/crawler.py) walks the site with Django's test
client for a visitor, a resident and an administrator, so every page an instrument adds is checked
as soon as a link or an entry URL reaches it. Runs everywhere (no browser needed).
"""

from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from tests.e2e import figures
from tests.e2e.crawler import ENTRY_URLS, Fetched, Visit, crawl, is_html_page, summary
from tests.e2e.weight import BUDGET_BYTES, page_weight
from tests.e2e.world import seed_world

pytestmark = pytest.mark.django_db

REQUIRED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# Every directive a page's policy must hold, as exact source lists.
REQUIRED_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
FORBIDDEN_SOURCES = ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:")
INLINE_MARKUP = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "<style> element": re.compile(r"<style[\s>]", re.I),
    "style= attribute": re.compile(r"<[a-z][^>]*\sstyle=", re.I),
    "on*= handler": re.compile(r"<[a-z][^>]*\son[a-z]+=", re.I),
    "javascript: URL": re.compile(r"""(href|src|action)=["']?\s*javascript:""", re.I),
}
# Known gaps outside tests/, each with its fix; an entry that no longer occurs fails the test.
KNOWN_GAPS: dict[tuple[str, str], str] = {}
CRAWLERS = ("anonymous", "resident", "unverified", "administrator")
# Pages outside the weight budget, each with its reason (not a resident's page).
OVER_WEIGHT = {"/api/v1/docs/": "the API's interactive documentation for developers (Swagger UI)"}


def parse_csp(policy: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def header_problems(path: str, headers: dict[str, str], html: str) -> list[tuple[str, str]]:
    """(what, detail) for each missing header, weak policy or inline markup of one page."""
    problems: list[tuple[str, str]] = []
    lowered = {k.lower(): v for k, v in headers.items()}
    for name, expected in REQUIRED_HEADERS.items():
        if lowered.get(name.lower()) != expected:
            problems.append((name, f"{lowered.get(name.lower())!r} instead of {expected!r}"))
    if "permissions-policy" not in lowered:
        problems.append(("Permissions-Policy", "missing"))
    policy = lowered.get("content-security-policy")
    if policy is None:
        problems.append(("Content-Security-Policy", "missing"))
    else:
        directives = parse_csp(policy)
        for directive, expected in REQUIRED_DIRECTIVES.items():
            if " ".join(directives.get(directive, [])) != expected:
                problems.append(("Content-Security-Policy", f"{directive} is not {expected}"))
        for directive, sources in directives.items():
            if directive in ("img-src", "media-src", "font-src"):
                continue  # a data: image cannot run code
            for source in sources:
                if source in FORBIDDEN_SOURCES:
                    problems.append(("Content-Security-Policy", f"{directive} allows {source}"))
    for what, pattern in INLINE_MARKUP.items():
        if match := pattern.search(html):
            problems.append((what, match.group(0)[:80]))
    return problems


def client_getter(client: Client):  # type: ignore[no-untyped-def]
    """The bytes of an asset a page names (a style sheet, an image, the theme's colours), asked of
    the server once per crawl: every page names the same style sheets, scripts and fonts."""

    @functools.cache
    def get(url: str) -> bytes:
        response = client.get(url)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        if getattr(response, "streaming", False):
            return b"".join(response.streaming_content)
        return response.content

    return get


def client_fetcher(client: Client):  # type: ignore[no-untyped-def]
    def fetch(path: str) -> Fetched:
        response = client.get(path, follow=True)
        final = response.redirect_chain[-1][0] if response.redirect_chain else path
        content_type = response.headers.get("Content-Type", "")
        streaming = getattr(response, "streaming", False)
        html = "" if streaming else response.content.decode(errors="replace")
        return Fetched(
            status=response.status_code,
            content_type=content_type,
            html=html if content_type.startswith("text/html") else "",
            final_path=urlsplit(final).path,
            headers=dict(response.headers),
        )

    return fetch


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    return seed_world()


@pytest.mark.parametrize("who", CRAWLERS)
def test_every_crawled_page_sends_the_security_headers_and_stays_under_its_weight(world, who):
    """One crawl per visitor for two checks: the headers and policy, and the page weight (HTML,
    styles, images and fonts, compressed, with an empty cache) under 100 KB."""
    client = Client()
    if (user := world.user(who)) is not None:
        client.force_login(user)
    visits: list[Visit] = crawl(client_fetcher(client), start=(*ENTRY_URLS, *world.emailed_urls))
    pages = [v for v in visits if is_html_page(v)]
    assert len(pages) >= 8, summary(visits, who)
    found: dict[tuple[str, str], str] = {}
    heavy: dict[str, int] = {}
    heaviest = 0
    get = client_getter(client)
    for visit in pages:
        shown = visit.fetched.final_path
        for what, detail in header_problems(shown, visit.fetched.headers, visit.fetched.html):
            found.setdefault((shown, what), detail)
        if shown in OVER_WEIGHT:
            continue
        total = sum(page_weight(shown, visit.fetched.html, get).values())
        heaviest = max(heaviest, total)
        if total > BUDGET_BYTES:
            heavy[shown] = total
    figures.record(f"weight {who}: heaviest of {len(pages)} pages {heaviest / 1024:.1f} KB")
    assert not heavy, f"over {BUDGET_BYTES // 1024} KB compressed: {heavy}"
    figures.record(
        f"headers {who}: {len(pages)} pages, {len(found)} problems"
        f" ({sum(k in KNOWN_GAPS for k in found)} known)"
    )
    unexpected = {k: v for k, v in found.items() if k not in KNOWN_GAPS}
    assert not unexpected, "\n".join(f"{p}: {w}: {d}" for (p, w), d in unexpected.items())
    server_errors = [v.path for v in visits if v.fetched.status >= 500]
    assert not server_errors, server_errors
    shown = {v.fetched.final_path for v in pages}
    stale = [k for k in KNOWN_GAPS if k[0] in shown and k not in found]
    assert not stale, f"fixed, remove from KNOWN_GAPS: {stale}"


def test_the_header_check_catches_a_weak_policy_and_inline_markup():
    headers = {
        "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline'",
        "X-Frame-Options": "SAMEORIGIN",
    }
    html = '<p style="color:red" onclick="x()">hi</p><script>alert(1)</script>'
    problems = {what for what, _detail in header_problems("/", headers, html)}
    assert {
        "Content-Security-Policy",
        "X-Frame-Options",
        "X-Content-Type-Options",
        "inline <script>",
        "style= attribute",
        "on*= handler",
    } <= problems


def test_a_page_that_sends_everything_passes_the_header_check():
    headers = {
        **REQUIRED_HEADERS,
        "Permissions-Policy": "camera=()",
        "Content-Security-Policy": "; ".join(f"{k} {v}" for k, v in REQUIRED_DIRECTIVES.items()),
    }
    html = '<script src="/static/app.js"></script><p class="x">ok</p>'
    assert header_problems("/", headers, html) == []


def test_the_weight_counts_the_page_its_styles_and_what_the_styles_name():
    assets = {
        "/static/site.css": b"body{background:url('img/bg.png')} @font-face{src:url(/f.woff2)}",
        "/static/img/bg.png": bytes(range(256)) * 40,
        "/f.woff2": bytes(range(256)) * 20,
        "/logo.svg": b"<svg/>",
    }
    html = (
        '<link rel="stylesheet" href="/static/site.css"><img src="/logo.svg">'
        '<img src="https://elsewhere.example/x.png"><img src="data:image/png;base64,AA==">'
    )
    weights = page_weight("/p/", html, assets.__getitem__)
    assert set(weights) == {"/p/", *assets}
    assert weights["/static/img/bg.png"] < len(assets["/static/img/bg.png"])  # compressed
