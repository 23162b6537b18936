"""Phone layout measures, taken on every page the French crawls of a visitor and a resident reach
(tests/e2e/test_accessibility.py, in the same crawl as axe) and by the small tests of
tests/e2e/test_layout.py: at 320 and 390 px wide, nothing scrolls sideways and every interactive
target is at least 44 x 44 CSS px.

The one exemption is WCAG 2.5.8's inline exception, kept narrow: a link rendered `display: inline`
whose parent element holds other text besides it, i.e. a link inside a sentence, whose height is the
line's. A link alone on its line (a list of links, a card's title, the navigation) has no exemption.
"""

from __future__ import annotations

from typing import Any

MIN_TARGET = 44
# Developer and third-party pages: the API explorer (Swagger UI) and the stock Django admin.
NOT_RESIDENT_PAGES = ("/api/", "/admin/")
WIDTHS = (390, 320)
PHONE_HEIGHT = 844

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


def is_measured(shown: str) -> bool:
    return not shown.startswith(NOT_RESIDENT_PAGES)


def phone_problems(page: Any, shown: str) -> list[str]:
    """The page laid out again at each phone width (not fetched again), one line per problem
    naming the page, the width and the target; the page's own viewport is put back after."""
    before = page.viewport_size
    problems: list[str] = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": PHONE_HEIGHT})
        found = page.evaluate(MEASURE)
        if found["overflow"] > 0:
            problems.append(f"{shown} at {width} px: scrolls sideways by {found['overflow']} px")
        problems.extend(f"{shown} at {width} px: {target}" for target in found["small"])
    if before is not None:
        page.set_viewport_size(before)
    return problems
