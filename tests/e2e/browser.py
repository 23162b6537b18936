"""Where the browser tests find Chromium and Playwright, and how they launch it.

The tests drive Debian's `chromium-headless-shell` package (installed by `tools/setup-browsers`),
never a browser downloaded by `playwright install`: a city's CI and a developer's laptop need
nothing but the project's own set-up and the distribution's packages.

The headless shell is Chromium's Blink, V8 and network stack without the desktop browser around
them (no tab strip, profile services or history writes): the same engine lays out the page and runs
axe-core, and Playwright itself launches this build for headless runs. Drawing a page costs the
headless shell less than half the CPU the full browser in headless mode spends (a bare navigation
110 -> 47 ms of CPU, a page checked by axe about 370 -> 250 ms; docs/testing.md), and the browser
tests, which are most of the suite's time, run in 179 s instead of 308 s.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

from civic.languages import is_page_path

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium-headless-shell")
HOST_RULES = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Nothing leaves the loopback: any other host name fails to resolve at once, so a third-party
    # asset (the API docs' CDN) fails instead of waiting on the network, and no test can reach
    # another host. Done here rather than by routing requests in Playwright, which turns off the
    # browser's HTTP cache: every page then fetched its style sheet, logo and icon again (three
    # requests to the test server for each page drawn, 142 in one crawl of 42 pages).
    HOST_RULES,
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
# Seconds a page may take to answer before an action fails (loopback, a threaded test server).
ACTION_TIMEOUT_MS = int(os.environ.get("E2E_TIMEOUT_MS", "15000"))


def missing_requirement() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if importlib.util.find_spec("playwright") is None:
        return "Playwright is not installed in .venv: run tools/setup-browsers"
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)) and not shutil.which(
        CHROMIUM
    ):
        return (
            f"Chromium's headless shell is not installed at {CHROMIUM}: run tools/setup-browsers"
            " (or set E2E_CHROMIUM to another Chromium build)"
        )
    return None


def missing_axe() -> str | None:
    if importlib.util.find_spec("axe_playwright_python") is None:
        return "axe-playwright-python is not installed in .venv: run tools/setup-browsers"
    return None


def in_english(url: str) -> str:
    """The address an English context opens for `url`: every page path under /en/ (the API, the
    admin and the static files have no prefix), tests/e2e/conftest.py."""
    if url.startswith("/") and is_page_path(url) and not url.startswith("/en/"):
        return "/en" + url
    return url
