"""Every page the crawler reaches, for a visitor, a resident and staff, in French and in English:
0 axe-core violations at WCAG 2.1 A and AA (tags wcag2a, wcag2aa, wcag21a, wcag21aa).

The crawler follows same-origin links from the home page and the entry URLs
(tests/e2e/crawler.py: ENTRY_URLS), so the instruments' pages are checked as soon as they are linked.
"""

from __future__ import annotations

import pytest

from tests.e2e import figures
from tests.e2e.accessibility import Violation, axe_violations, browser_fetcher
from tests.e2e.browser import ARTIFACTS, missing_axe
from tests.e2e.crawler import ENTRY_URLS, crawl, is_html_page, summary

pytestmark = pytest.mark.skipif(missing_axe() is not None, reason=str(missing_axe()))

# Who crawls: a visitor, a verified resident, a newcomer whose account is not verified yet, staff.
CRAWLERS = ("anonymous", "resident", "unverified", "administrator")

# Known violations the tests may not fix (the page is outside tests/), each with its fix. An entry
# that no longer occurs fails the test too, so the list only shrinks.
KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {}
# The interactive API explorer is a developer tool drawn by Swagger UI (third-party markup with
# nested controls): not a public or resident page. Its language, CSP and headers are still checked
# (tests/security/test_security_headers.py); axe checks every page residents use.
NOT_RESIDENT_PAGES = ("/api/v1/docs/",)


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("who", CRAWLERS)
def test_every_crawled_page_has_no_wcag_21_aa_violation(new_context, world, who, language):
    page = new_context(language=language, user=world.user(who)).new_page()
    fetch = browser_fetcher(page)
    violations: list[Violation] = []
    checked: list[str] = []

    def fetch_and_check(path: str):  # type: ignore[no-untyped-def]
        fetched = fetch(path)
        # A closed page redirects to the login form: check each page shown once.
        shown = fetched.final_path
        if (
            fetched.status == 200
            and fetched.content_type.startswith("text/html")
            and shown not in checked
            and not shown.startswith(NOT_RESIDENT_PAGES)
        ):
            lang = page.locator("html").get_attribute("lang")
            if lang != language:
                violations.append(
                    Violation(
                        path,
                        "page-language",
                        "serious",
                        f"lang={lang!r}, asked {language}",
                        ["html"],
                    )
                )
            violations.extend(axe_violations(page, shown))
            checked.append(shown)
        return fetched

    visits = crawl(fetch_and_check, start=(*ENTRY_URLS, *world.emailed_urls))
    pages = [v for v in visits if is_html_page(v)]
    figures.record(
        f"axe {who}/{language}: {len(checked)} pages checked, {len(violations)} violations"
        f" ({sum((v.path, v.rule) in KNOWN_VIOLATIONS for v in violations)} known)"
        f" ({len(visits)} paths visited)"
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"crawl-{who}-{language}.txt").write_text(
        summary(visits, f"{who}/{language}") + "\naxe-checked:\n  " + "\n  ".join(checked) + "\n"
    )
    assert len(pages) >= 8, summary(visits, f"{who}/{language}")  # the crawler really crawled
    server_errors = [v.path for v in visits if v.fetched.status >= 500]
    assert not server_errors, f"server errors on {server_errors}"
    unexpected = [v for v in violations if (v.path, v.rule) not in KNOWN_VIOLATIONS]
    assert not unexpected, "\n".join(map(str, unexpected))
    found = {(v.path, v.rule) for v in violations}
    stale = [key for key in KNOWN_VIOLATIONS if key[0] in checked and key not in found]
    assert not stale, f"fixed, remove from KNOWN_VIOLATIONS: {stale}"


def test_axe_finds_a_violation_when_there_is_one(new_context, world):
    """The instrument can fail: an image without a text alternative is reported."""
    page = new_context().new_page()
    page.goto("/")
    page.evaluate(
        "() => { const i = document.createElement('img'); i.src = '/static/none.png';"
        " document.querySelector('main').appendChild(i); }"
    )
    assert "image-alt" in {v.rule for v in axe_violations(page, "/")}


# Forms shown back with their errors: where labels, error messages and focus order often break.
ERROR_STATES = {
    "signup": (None, "/accounts/signup/"),
    "login": (None, "/accounts/login/"),
    "password-reset": (None, "/accounts/password/reset/"),
    "verify": ("unverified", "/me/verify/"),
    "desk-verify": ("moderator", "/staff/verify/"),
    "register-import": ("administrator", "/staff/register/import/"),
}


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("form", sorted(ERROR_STATES))
def test_a_form_shown_back_with_errors_has_no_wcag_21_aa_violation(
    new_context, world, form, language
):
    who, path = ERROR_STATES[form]
    page = new_context(language=language, user=world.user(who)).new_page()
    page.goto(path)
    # The server's answer is under test, not the browser's own validation bubbles.
    page.evaluate("document.querySelectorAll('form').forEach(f => { f.noValidate = true; })")
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state()
    assert page.locator(".error, .errorlist, [role=alert]").count() >= 1, page.url
    violations = axe_violations(page, path)
    figures.record(f"axe form errors {form}/{language}: {len(violations)} violations")
    assert not violations, "\n".join(map(str, violations))
