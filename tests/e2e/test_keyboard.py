"""A whole journey with the keyboard only (Tab, Shift+Tab, Enter, typing), checking at every stop
that the focused element shows a visible focus indicator (WCAG 2.4.7)."""

from __future__ import annotations

import re

from civic.models import User
from tests.e2e.pages import HOME
from tests.e2e.world import PASSWORD

FOCUS_STATE = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {
    tag: el.tagName.toLowerCase(),
    type: el.getAttribute('type') || '',
    name: (el.getAttribute('name') || el.textContent || '').trim().slice(0, 60),
    focusVisible: el.matches(':focus-visible'),
    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
    shadow: style.boxShadow !== 'none',
    onScreen: box.width > 0 && box.height > 0 && box.right > 0 && box.bottom > 0,
  };
}"""
MAX_TABS = 40


def assert_focus_visible(page) -> dict:  # type: ignore[no-untyped-def]
    state = page.evaluate(FOCUS_STATE)
    if state["tag"] in ("body", "main"):
        return state
    if state["type"] == "date" and not state["focusVisible"]:
        # Chromium's own calendar button inside a date field: the browser draws its focus ring in
        # the field's shadow tree, where the page's CSS and this probe cannot see.
        return state
    assert state["focusVisible"], f"no :focus-visible on {state}"
    assert state["outline"] or state["shadow"], f"focus is invisible on {state}"
    assert state["onScreen"], f"the focused element is off screen: {state}"
    return state


def tab_to(page, selector: str) -> None:  # type: ignore[no-untyped-def]
    """Press Tab until `selector` has the focus, checking the focus is visible at every stop."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        assert_focus_visible(page)
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} not reached with {MAX_TABS} presses of Tab")


def test_the_first_tab_reaches_a_visible_skip_link_that_moves_focus_to_the_content(page, world):
    page.goto("/")
    page.keyboard.press("Tab")
    state = assert_focus_visible(page)
    assert state["tag"] == "a" and page.evaluate("document.activeElement.hash") == "#main"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_a_newcomer_logs_in_verifies_and_opens_the_inbox_with_the_keyboard_only(page, world):
    newcomer = world.user("unverified")
    page.goto("/")
    tab_to(page, "header a[href='/accounts/login/']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/accounts/login/"))

    tab_to(page, "input[name=login]")
    page.keyboard.type(newcomer.email)
    tab_to(page, "input[name=password]")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(HOME)

    tab_to(page, "header a[href='/me/verify/']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/me/verify/$"))
    tab_to(page, "input[name=last_name]")
    page.keyboard.type("Martin")
    tab_to(page, "input[name=first_names]")
    page.keyboard.type("Camille")
    tab_to(page, "input[name=birth_date]")
    # A plain text box typed as its hint says (JJ/MM/AAAA), not a browser date picker.
    page.keyboard.type("27/03/1984")
    tab_to(page, "input[name=roll_number]")
    page.keyboard.type("R-E2E-1")
    tab_to(page, "main form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(HOME)
    assert User.objects.get(pk=newcomer.pk).is_verified

    tab_to(page, "header a[href='/me/inbox/']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/me/inbox/$"))
    assert page.locator("h1").inner_text() == "Mes messages"


def test_the_language_switch_works_with_the_keyboard(page, world):
    page.goto("/initiatives/")
    tab_to(page, ".lang-switch a[hreflang=en]")
    # Wait for the navigation the key starts: waiting for a load state after the key press could
    # return on the page still showing (a race CI lost once under load).
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.url.endswith("/en/initiatives/")


def test_the_focus_check_fails_on_an_element_without_a_focus_style(page, world):
    """The instrument itself can fail: a page whose CSS removes the outline is caught."""

    def without_focus_styles(route):  # type: ignore[no-untyped-def]
        css = route.fetch().text()
        css += (
            "\n*:focus, *:focus-visible { outline: none !important; box-shadow: none !important; }"
        )
        route.fulfill(body=css, content_type="text/css")

    page.route("**/site.css", without_focus_styles)
    page.goto("/")
    page.keyboard.press("Tab")
    try:
        assert_focus_visible(page)
    except AssertionError:
        return
    raise AssertionError("an invisible focus went unnoticed")
