"""Phone layout: the header takes under 15 % of a 390 x 844 screen and its menu opens by keyboard,
the menu is open on a wide screen, and the measure itself can fail.

The measure of every page (at 320 and 390 px wide nothing scrolls sideways and every interactive
target is at least 44 x 44 CSS px, tests/e2e/layout.py) is taken on every page a visitor and a
resident reach, in the French crawls of tests/e2e/test_accessibility.py: one crawl per role and
language loads each page once for axe and the phone measures (a crawl is most of a test's time).
"""

from __future__ import annotations

from tests.e2e.layout import MEASURE, WIDTHS  # noqa: F401 - other browser tests import them from here


def test_the_phone_header_takes_under_15_percent_of_the_screen(new_context, world):
    page = new_context(user=world.user("resident")).new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    height = page.locator("header.site-header").bounding_box()["height"]
    assert height < 0.15 * 844, height
    # The menu opens from its button, with the keyboard, and shows the navigation.
    assert not page.locator("nav.nav-main a[href='/initiatives/']").is_visible()
    page.locator("header summary").focus()
    page.keyboard.press("Enter")
    assert page.locator("nav.nav-main a[href='/initiatives/']").is_visible()


def test_the_menu_is_open_on_a_wide_screen(new_context, world):
    page = new_context().new_page()
    page.goto("/")
    assert not page.locator("header summary").is_visible()
    assert page.locator("nav.nav-main a[href='/initiatives/']").is_visible()


def test_a_small_target_fails_the_measure(new_context, world):
    """The measure can fail: a lone 20 px button is reported, a link in a sentence is not."""
    page = new_context().new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    page.evaluate(
        "() => { const m = document.querySelector('main');"
        " m.insertAdjacentHTML('beforeend', '<p>Lire <a href=\"/\">ceci</a> avant.</p>');"
        " const b = document.createElement('button'); b.textContent = 'x';"
        " b.setAttribute('class', 'tiny'); m.appendChild(b);"
        " b.style.cssText = 'min-height:0;min-width:0;height:20px;width:20px;padding:0'; }"
    )
    small = page.evaluate(MEASURE)["small"]
    assert small == ['button "x" 20x20'], small
