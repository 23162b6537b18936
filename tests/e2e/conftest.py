"""Fixtures of the real-browser suite: a live server, headless Debian Chromium, a seeded city.

- `live_server` is pytest-django's threaded server in this process, on this process's test
  database, so e-mails land in `django.core.mail.outbox`.
- Playwright's sync API runs its own event loop in this thread: Django's guard against ORM calls
  from async code would fire on every factory call, so it is lifted while a browser is open.
- A failing test leaves a full-page screenshot of each of its pages in tests/e2e/artifacts/.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings
from django.test import Client

from tests.e2e import figures
from tests.e2e.browser import (
    ACTION_TIMEOUT_MS,
    ARTIFACTS,
    CHROMIUM,
    LAUNCH_ARGS,
    in_english,
    missing_requirement,
)
from tests.e2e.world import World
from tests.e2e.world_snapshot import shared_world

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright

HERE = str(Path(__file__).resolve().parent)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "e2e: drives headless Chromium against a live server (tools/setup-browsers)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = missing_requirement()
    for item in items:
        if not str(item.path).startswith(HERE):
            continue
        item.add_marker(pytest.mark.e2e)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as instance:
            yield instance
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def world(live_server: Any) -> World:
    """The seeded city (live_server brings a transactional database the server thread sees), seeded
    once per process and put back before each test (tests/e2e/world_snapshot.py)."""
    return shared_world(instruments=True)


@pytest.fixture
def site(live_server: Any) -> str:
    return str(live_server.url)


ContextFactory = Callable[..., "BrowserContext"]


@pytest.fixture
def new_context(
    browser: Browser, site: str, request: pytest.FixtureRequest
) -> Iterator[ContextFactory]:
    """`new_context(language="en", user=u, javascript=False)`: a fresh browser profile."""
    contexts: list[BrowserContext] = []

    def make(*, language: str = "fr", user: Any = None, javascript: bool = True) -> BrowserContext:
        context = browser.new_context(
            base_url=site,
            locale="fr-FR" if language == "fr" else "en-GB",
            java_script_enabled=javascript,
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": site}]
        if user is not None:
            client = Client()
            client.force_login(user)
            cookies.append(
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": site,
                }
            )
        context.add_cookies(cookies)  # type: ignore[arg-type]
        if language == "en":
            _pages_in_english(context)
        contexts.append(context)
        return context

    yield make
    failed = request.node.stash.get(_FAILED, False)
    for index, context in enumerate(contexts):
        if failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
            for number, page in enumerate(context.pages):
                try:
                    page.screenshot(
                        path=str(ARTIFACTS / f"{name}-{index}-{number}.png"), full_page=True
                    )
                except Exception as exc:  # a crashed page must not hide the test's own failure
                    print(f"screenshot failed: {exc}")
        context.close()


def _pages_in_english(context: BrowserContext) -> None:
    """The language of a page is in its address: an English context's pages open every page path
    under /en/ (`page.goto("/initiatives/")` shows /en/initiatives/), so a test names a page once
    for both languages. The API, the admin and the static files have no prefix."""
    open_page = context.new_page

    def new_page(*args: Any, **kwargs: Any) -> Page:
        page = open_page(*args, **kwargs)
        goto = page.goto

        def goto_in_english(url: str, **options: Any) -> Any:
            return goto(in_english(url), **options)

        page.goto = goto_in_english  # type: ignore[method-assign]
        return page

    context.new_page = new_page  # type: ignore[method-assign]


@pytest.fixture
def page(new_context: ContextFactory) -> Page:
    """A French, anonymous page with JavaScript on."""
    return new_context().new_page()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    figures.print_summary(terminalreporter)
