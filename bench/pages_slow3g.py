"""W14: the pages on a slow mobile connection (issue "A site residents trust at first sight": every
page usable on a slow 3G profile).

Debian's Chromium, driven by Playwright, loads each page with an empty cache through Chrome's own
"Slow 3G" profile (2,000 ms round trip, 50 KB/s each way, emulated by the browser: DevTools'
Network.emulateNetworkConditions). For each page: the time to the first contentful paint (the
resident sees the page) and to the load event (everything arrived), and both as a ratio to the same
figures for `/healthz` (a few bytes: the bare cost of the round trips) measured in the same run. The
bytes received are counted too. A page "usable" on slow 3G paints within about three round trips of
the bare request: target FCP ratio ≤ 3.

Run: .venv/bin/python bench/pages_slow3g.py [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from harness import main_guard, median, report, run_manage, web_server
from pages_common import public_pages
from petitions_common import close_connections, fresh

DB_NAME = os.environ.get("SLOW3G_BENCH_DB", "civic_slow3g")
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
# Chrome DevTools' "Slow 3G" preset (front_end/core/sdk/NetworkManager.ts).
SLOW_3G = {
    "offline": False,
    "latency": 2000,
    "downloadThroughput": 500 * 1000 / 8 * 0.8,
    "uploadThroughput": 500 * 1000 / 8 * 0.8,
}
TIMINGS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const paint = performance.getEntriesByName('first-contentful-paint')[0];
  const bytes = performance.getEntriesByType('resource').reduce((s, r) => s + r.transferSize, 0);
  return {fcp: paint ? paint.startTime : null, load: nav.loadEventEnd,
          bytes: nav.transferSize + bytes};
}"""


def _measure(browser: Any, url: str) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    page.goto(url, wait_until="load", timeout=120_000)
    timings = page.evaluate(TIMINGS)
    context.close()
    return timings


def main() -> None:
    main_guard()
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=2, help="loads of each page; medians")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    url = fresh(DB_NAME)
    run_manage(url, "seed_demo", "--entries", "200", "--residents", "40")
    pages = {**public_pages(), "sign-in": "/accounts/login/", "sign-up": "/accounts/signup/"}
    close_connections()
    with web_server(url, workers=1) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        for path in ["/healthz", *pages.values()]:  # warm the server's templates and memos
            _measure(browser, base + path)
        healthz = [_measure(browser, base + "/healthz") for _ in range(args.repeat)]
        base_fcp = median([h["load"] for h in healthz])  # /healthz is text: no paint entry
        for name, path in pages.items():
            runs = [_measure(browser, base + path) for _ in range(args.repeat)]
            fcp = median([r["fcp"] or r["load"] for r in runs])
            load = median([r["load"] for r in runs])
            report(
                "W14", f"slow 3G {name} ({path}) first paint ÷ /healthz load", fcp / base_fcp,
                "≤ 3", fcp / base_fcp <= 3,
                fcp_ms=round(fcp), load_ms=round(load), load_ratio=round(load / base_fcp, 2),
                bytes=int(median([r["bytes"] for r in runs])), healthz_ms=round(base_fcp),
            )  # fmt: skip
        browser.close()


if __name__ == "__main__":
    main()
