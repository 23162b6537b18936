"""Phone layout on every page a visitor and a resident reach (the crawler's pages, the seeded city):
at 320 and 390 px wide, nothing scrolls sideways and every interactive target is at least 44 x 44
CSS px; the header takes under 15 % of a 390 x 844 screen.

The one exemption is WCAG 2.5.8's inline exception, kept narrow: a link rendered `display: inline`
whose parent element holds other text besides it, i.e. a link inside a sentence, whose height is the
line's. A link alone on its line (a list of links, a card's title, the navigation) has no exemption.
"""

from __future__ import annotations

import pytest

from tests.e2e import figures
from tests.e2e.accessibility import browser_fetcher
from tests.e2e.crawler import ENTRY_URLS, crawl, is_html_page, summary

MIN_TARGET = 44
# Developer and third-party pages: the API explorer (Swagger UI) and the stock Django admin.
NOT_RESIDENT_PAGES = ("/api/", "/admin/")

# Every visible target smaller than 44 x 44, with what it is, and the page's sideways overflow.
MEASURE = """() => {
  const MIN = __MIN__;
  const small = [];
  for (const el of document.querySelectorAll('a, button, input, select, textarea, summary')) {
    if (el.type === 'hidden') continue;
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || r.right <= 0 || style.visibility === 'hidden') continue;
    if (el.closest('details:not([open]) > :not(summary)')) continue;
    if (el.tagName === 'A' && style.display === 'inline') {
      const own = el.textContent.trim().length;
      const around = el.parentElement ? el.parentElement.textContent.trim().length : 0;
      if (around > own) continue;  // a link inside a sentence
    }
    if (r.width + 0.5 < MIN || r.height + 0.5 < MIN) {
      const label = (el.getAttribute('aria-label') || el.textContent || el.name || el.type || '').trim();
      small.push(`${el.tagName.toLowerCase()} "${label.slice(0, 40)}" ${Math.round(r.width)}x${Math.round(r.height)}`);
    }
  }
  return {overflow: document.documentElement.scrollWidth - window.innerWidth, small};
}""".replace("__MIN__", str(MIN_TARGET))


WIDTHS = (390, 320)


@pytest.mark.parametrize("who", ["anonymous", "resident", "administrator"])
def test_no_page_scrolls_sideways_and_every_target_is_44_px(new_context, world, who):
    """One crawl per visitor, each page measured at every width: the page is laid out again at
    each size without being fetched again (a crawl is most of the test's time)."""
    page = new_context(user=world.user(who)).new_page()
    page.set_viewport_size({"width": WIDTHS[0], "height": 844})
    fetch = browser_fetcher(page)
    problems: list[str] = []
    measured: list[str] = []

    def fetch_and_measure(path: str):  # type: ignore[no-untyped-def]
        fetched = fetch(path)
        shown = fetched.final_path
        if (
            fetched.status == 200
            and fetched.content_type.startswith("text/html")
            and shown not in measured
            and not shown.startswith(NOT_RESIDENT_PAGES)
        ):
            measured.append(shown)
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 844})
                found = page.evaluate(MEASURE)
                if found["overflow"] > 0:
                    problems.append(
                        f"{shown} at {width} px: scrolls sideways by {found['overflow']} px"
                    )
                problems.extend(f"{shown} at {width} px: {target}" for target in found["small"])
            page.set_viewport_size({"width": WIDTHS[0], "height": 844})
        return fetched

    visits = crawl(fetch_and_measure, start=ENTRY_URLS)
    figures.record(
        f"layout {who} at {', '.join(map(str, WIDTHS))} px: {len(measured)} pages, "
        f"{len(problems)} problems"
    )
    assert len([v for v in visits if is_html_page(v)]) >= 8, summary(visits, who)
    assert not problems, "\n".join(problems)


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
