"""Shoot the screenshot gallery (run by tools/screenshots): crawl a running site as a visitor and as
a demo resident, in French, and save each page at 390 and 1280 px wide as a full-page PNG.

Usage: python tools/screenshots_shoot.py BASE_URL OUT_DIR
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright

from tests.e2e.accessibility import browser_fetcher
from tests.e2e.browser import CHROMIUM, LAUNCH_ARGS
from tests.e2e.crawler import ENTRY_URLS, crawl, is_html_page

WIDTHS = {"phone": (390, 844), "desktop": (1280, 800)}
RESIDENT = ("resident-0001@example.org", "demo-civic-2026")  # seeded by `manage.py seed_demo`
MAX_PAGES = 80


def _name(who: str, path: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
    return f"{who}-{slug}"[:120]


def main(base: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        for who in ("visitor", "resident"):
            context = browser.new_context(base_url=base, locale="fr-FR")
            context.add_cookies([{"name": "django_language", "value": "fr", "url": base}])
            page = context.new_page()
            if who == "resident":
                page.goto("/accounts/login/")
                page.locator("input[name=login]").fill(RESIDENT[0])
                page.locator("input[name=password]").fill(RESIDENT[1])
                page.locator("main form [type=submit]").first.click()
                page.wait_for_load_state()
            visits = crawl(browser_fetcher(page), start=ENTRY_URLS, max_pages=MAX_PAGES)
            shot: set[str] = set()
            for visit in visits:
                shown = visit.fetched.final_path
                if not is_html_page(visit) or shown in shot or shown.startswith("/api/"):
                    continue
                shot.add(shown)
                for label, (width, height) in WIDTHS.items():
                    page.set_viewport_size({"width": width, "height": height})
                    page.goto(visit.path)
                    target = out / f"{_name(who, shown)}-{label}.png"
                    page.screenshot(path=str(target), full_page=True)
                    print(target)
            context.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
