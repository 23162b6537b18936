"""Every page the crawler reaches, for a visitor, a resident and staff: in French, 0 axe-core
violations at WCAG 2.1 A and AA (tags wcag2a, wcag2aa, wcag21a, wcag21aa) on every page, and the
French crawls of a visitor, a resident and an administrator also measure each page at phone widths
(tests/e2e/layout.py); in English, the same crawls check every page's language and run axe on each
page whose set of rendered templates is new (tests/e2e/sitecrawl.py: OncePerTemplates).

The crawler follows same-origin links from the home page and the entry URLs
(tests/e2e/crawler.py: ENTRY_URLS), so the instruments' pages are checked as soon as they are linked;
the seeded world (tests/e2e/world.py) holds an object in each state those pages show, and each crawl
must reach the instrument pages its role may see. Pages only a form's answer shows (a signature's
confirmation, a vote's confirmation step and receipt, a receipt check, a sheet keyed) are checked
after submitting the real form, in both languages too.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.e2e import figures
from tests.e2e.accessibility import axe_violations
from tests.e2e.browser import ARTIFACTS, missing_axe
from tests.e2e.crawler import ENTRY_URLS, Visit, crawl, is_html_page, summary
from tests.e2e.layout import WIDTHS
from tests.e2e.sitecrawl import OncePerTemplates, PageChecks
from tests.e2e.world import World

pytestmark = pytest.mark.skipif(missing_axe() is not None, reason=str(missing_axe()))

# Who crawls: a visitor, a verified resident, a newcomer whose account is not verified yet, staff.
CRAWLERS = ("anonymous", "resident", "unverified", "administrator")

# Known violations the tests may not fix (the page is outside tests/), each with its fix. An entry
# that no longer occurs fails the test too, so the list only shrinks.
KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {}
# The crawls that also measure every page at phone widths: in French, all but the unverified account.
PHONE_CRAWLS = {("anonymous", "fr"), ("resident", "fr"), ("administrator", "fr")}


def public_instrument_pages(world: World) -> set[str]:
    """What anyone reaches by following links: the three instruments' public pages."""
    seeded = world.instruments
    return {
        "/initiatives/",
        f"/initiatives/{seeded.initiative.pk}/",
        f"/initiatives/{seeded.signed_initiative.pk}/",
        "/initiatives/obligations/",
        f"/initiatives/{seeded.initiative.pk}/rejections/",
        "/referendums/",
        "/referendums/polling-stations/",
        f"/referendums/{seeded.open_vote.pk}/",
        f"/referendums/{seeded.open_vote.pk}/receipt/",
        f"/referendums/{seeded.published_vote.pk}/",
        f"/referendums/{seeded.published_vote.pk}/results/",
        f"/referendums/{seeded.published_vote.pk}/receipt/",
        f"/referendums/{seeded.paper_referendum.pk}/",
        f"/assembly/{seeded.mandate.pk}/",
        f"/assembly/{seeded.mandate.pk}/recommandations/",
        f"/assembly/seances/{seeded.session.pk}/",
    }


def resident_instrument_pages(world: World) -> set[str]:
    """What a logged-in resident reaches besides: their signatures and the ballot of an open vote."""
    return {
        "/initiatives/my-signatures/",
        f"/referendums/{world.instruments.open_vote.pk}/vote/",
        "/initiatives/new/instrument/",
    }


REACHED: dict[str, Callable[[World], set[str]]] = {
    "anonymous": public_instrument_pages,
    "resident": lambda world: public_instrument_pages(world) | resident_instrument_pages(world),
    # An unverified account is offered no link to a ballot it cannot cast (it reads why instead).
    "unverified": lambda world: public_instrument_pages(world) | {"/initiatives/my-signatures/"},
    "administrator": lambda world: (
        public_instrument_pages(world)
        | {
            f"/assembly/greffe/{world.instruments.mandate.pk}/",
            f"/initiatives/{world.instruments.initiative.pk}/invalidations/",
        }
    ),
}


@pytest.mark.long
@pytest.mark.parametrize("who", CRAWLERS)
def test_every_crawled_page_has_no_wcag_21_aa_violation_nor_phone_layout_problem(
    new_context, world, site, who
):
    """In French, axe on every page; for a visitor, a resident and an administrator, the same crawl
    measures each page at phone widths too (tests/e2e/layout.py: nothing scrolls sideways, every
    target 44 x 44 px)."""
    language = "fr"
    phone = (who, language) in PHONE_CRAWLS
    page = new_context(language=language, user=world.user(who)).new_page()
    checks = PageChecks(page, language, site, phone=phone)
    entry_visits = crawl(checks, start=ENTRY_URLS)
    if phone:
        assert len([v for v in entry_visits if is_html_page(v)]) >= 8, summary(entry_visits, who)
    visits = entry_visits + _crawl_emailed_links(checks, world)
    failures = _crawl_failures(world, who, language, checks, visits, checks.checked)
    if phone:
        figures.record(
            f"layout {who} at {', '.join(map(str, WIDTHS))} px: {len(checks.measured)} pages, "
            f"{len(checks.layout_problems)} problems"
        )
    if checks.layout_problems:
        failures.append("phone layout:\n" + "\n".join(checks.layout_problems))
    assert not failures, "\n\n".join(failures)


@pytest.mark.long
def test_every_english_page_has_its_language_and_each_of_its_templates_no_wcag_violation(
    new_context, world, site
):
    """In English, the four roles' crawls follow the same paths as in French: every page shown
    says `lang="en"`, none answers a server error, each role reaches its instrument pages; axe runs
    on each page whose set of rendered templates no English page checked before rendered
    (sitecrawl.OncePerTemplates), so each template's English words pass axe, in each branch a role
    renders through its own included templates. Every page of every role passes axe in French."""
    axed: set[frozenset[str]] = set()
    failures = []
    for who in CRAWLERS:
        page = new_context(language="en", user=world.user(who)).new_page()
        checks = OncePerTemplates(page, "en", site, axed=axed)
        with checks.templates:
            visits = crawl(checks, start=ENTRY_URLS)
        visits += _crawl_emailed_links(checks, world)
        failures += _crawl_failures(world, who, "en", checks, visits, checks.shown)
    figures.record(f"axe en: {len(axed)} distinct sets of templates checked")
    assert not failures, "\n\n".join(failures)


def _crawl_emailed_links(checks: PageChecks, world: World) -> list[Visit]:
    """Last, and alone: allauth logs out whoever opens another account's password-reset link,
    which would leave the rest of a resident's crawl anonymous."""
    checks.phone = False
    checks.ask_first = False  # each e-mailed link opened once, in the browser
    return crawl(checks, start=world.emailed_urls, max_pages=len(world.emailed_urls))


def _crawl_failures(
    world: World,
    who: str,
    language: str,
    checks: PageChecks,
    visits: list[Visit],
    reached: list[str],
) -> list[str]:
    """Records the crawl's figures and list, asserts it really crawled, and returns every problem
    found (axe, language, instrument pages not reached, server errors), each line naming its page."""
    checked, violations = checks.checked, checks.violations
    pages = [v for v in visits if is_html_page(v)]
    figures.record(
        f"axe {who}/{language}: {len(checked)} pages checked, {len(violations)} violations"
        f" ({sum((v.path, v.rule) in KNOWN_VIOLATIONS for v in violations)} known)"
        f" ({len(visits)} paths visited, {len(set(reached))} pages)"
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"crawl-{who}-{language}.txt").write_text(
        summary(visits, f"{who}/{language}") + "\naxe-checked:\n  " + "\n  ".join(checked) + "\n"
    )
    assert len(pages) >= 8, summary(visits, f"{who}/{language}")  # the crawler really crawled
    failures = []
    missed = sorted(REACHED[who](world) - set(reached))
    if missed:
        failures.append(
            f"{who}/{language}: instrument pages not reached: {missed}\n" + summary(visits, who)
        )
    server_errors = [v.path for v in visits if v.fetched.status >= 500]
    if server_errors:
        failures.append(f"{who}/{language}: server errors on {server_errors}")
    unexpected = [v for v in violations if (v.path, v.rule) not in KNOWN_VIOLATIONS]
    found = {(v.path, v.rule) for v in violations}
    stale = [key for key in KNOWN_VIOLATIONS if key[0] in checked and key not in found]
    if unexpected:
        failures.append(f"{who}/{language}: axe violations:\n" + "\n".join(map(str, unexpected)))
    if stale:
        failures.append(f"fixed, remove from KNOWN_VIOLATIONS: {stale}")
    return failures


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
ERROR_STATES: dict[str, tuple[str | None, str | Callable[[World], str]]] = {
    "signup": (None, "/accounts/signup/"),
    "login": (None, "/accounts/login/"),
    "password-reset": (None, "/accounts/password/reset/"),
    "verify": ("unverified", "/me/verify/"),
    "guided-instrument": ("resident", "/initiatives/new/instrument/"),
    "desk-verify": ("moderator", "/staff/verify/"),
    "register-import": ("administrator", "/staff/register/import/"),
    "vote": ("resident", lambda world: f"/referendums/{world.instruments.open_vote.pk}/vote/"),
    "receipt-check": (
        None,
        lambda world: f"/referendums/{world.instruments.published_vote.pk}/receipt/",
    ),
    "paper-entry": (
        "moderator",
        lambda world: f"/initiatives/{world.instruments.initiative.pk}/paper/",
    ),
    "invalidation": (
        "moderator",
        lambda world: f"/initiatives/{world.instruments.initiative.pk}/invalidations/",
    ),
    "result-sheet": (
        "campaign_manager",
        lambda world: f"/referendums/{world.instruments.paper_referendum.pk}/sheets/",
    ),
}


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("form", sorted(ERROR_STATES))
def test_a_form_shown_back_with_errors_has_no_wcag_21_aa_violation(
    new_context, world, form, language
):
    who, where = ERROR_STATES[form]
    path = where if isinstance(where, str) else where(world)
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


# Pages only a form's answer or a rarer state shows: each step drives the real form (selectors, not
# words, addresses matched by their end, English ones starting /en/, so that it runs in both
# languages) and checks the state it should show is on the page.
def _signed(page, world: World) -> None:  # type: ignore[no-untyped-def]
    initiative = world.instruments.initiative
    page.goto(f"/initiatives/{initiative.pk}/")
    page.locator(f"form[action$='/initiatives/{initiative.pk}/sign/'] [type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".message-success").count() == 1
    assert page.locator(f"form[action$='/initiatives/{initiative.pk}/unsign/']").count() == 1


def _withdrawn(page, world: World) -> None:  # type: ignore[no-untyped-def]
    initiative = world.instruments.signed_initiative
    page.goto("/initiatives/my-signatures/")
    page.locator(f"form[action$='/initiatives/{initiative.pk}/unsign/'] [type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".message-success").count() == 1


def _vote_confirmation(page, world: World) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"/referendums/{world.instruments.open_vote.pk}/vote/")
    page.locator("main input[type=radio]").first.check()
    page.locator("main form [type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("main input[name=step][value=cast]").count() == 1


def _vote_receipt(page, world: World) -> None:  # type: ignore[no-untyped-def]
    _vote_confirmation(page, world)
    page.locator("main form:has(input[name=step][value=cast]) [type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("main .receipt").count() == 1


def _receipt_checked(page, world: World) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"/referendums/{world.instruments.published_vote.pk}/receipt/")
    page.locator("input[name=receipt]").fill("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF")
    page.locator("main form [type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("main .message-error[role=status]").count() == 1


def _paper_rejected(page, world: World) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"/initiatives/{world.instruments.initiative.pk}/paper/")
    page.locator("input[name=last_name]").fill("Inconnu")
    page.locator("input[name=first_names]").fill("Personne")
    page.locator("input[name=birth_date]").fill("1950-01-01")
    page.locator("main form [type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".message-warning").count() == 1


def _sheet_keyed(page, world: World) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"/referendums/{world.instruments.paper_referendum.pk}/sheets/")
    form = page.locator("section[aria-labelledby=h-enter] form")
    for name, value in (("registered", 1000), ("voters", 60), ("blank", 0), ("null", 0)):
        form.locator(f"input[name=enter-{name}]").fill(str(value))
    form.locator("input[name=enter-yes]").fill("40")
    form.locator("input[name=enter-no]").fill("20")
    form.locator("[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".message-success").count() == 1


def _assembly_index(page, world: World) -> None:  # type: ignore[no-untyped-def]
    """No assembly in office: /assembly/ lists the past mandates instead of redirecting."""
    from assembly.models import Mandate, MandateStatus

    Mandate.objects.filter(pk=world.instruments.mandate.pk).update(status=MandateStatus.CLOSED)
    page.goto("/assembly/")
    assert page.url.endswith("/assembly/")
    assert page.locator(f"main a[href$='/assembly/{world.instruments.mandate.pk}/']").count() == 1


AFTER_FORMS: dict[str, tuple[str | None, Callable[..., None]]] = {
    "sign-confirmation": ("resident", _signed),
    "withdraw-confirmation": ("resident", _withdrawn),
    "vote-confirmation": ("resident", _vote_confirmation),
    "vote-receipt": ("resident", _vote_receipt),
    "receipt-checked": (None, _receipt_checked),
    "paper-rejected": ("moderator", _paper_rejected),
    "sheet-keyed": ("campaign_manager", _sheet_keyed),
    "assembly-index": (None, _assembly_index),
}


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("state", sorted(AFTER_FORMS))
def test_a_page_shown_after_an_instrument_form_has_no_wcag_21_aa_violation(
    new_context, world, state, language
):
    who, reach = AFTER_FORMS[state]
    page = new_context(language=language, user=world.user(who)).new_page()
    reach(page, world)
    assert page.locator("html").get_attribute("lang") == language
    violations = axe_violations(page, state)
    figures.record(f"axe after form {state}/{language}: {len(violations)} violations")
    assert not violations, "\n".join(map(str, violations))
