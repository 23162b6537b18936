"""Fixtures shared by every app's tests."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
import time_machine
from django.utils import translation
from rest_framework.test import APIClient

from tests import template_db
from tests.e2e.figures import pytest_terminal_summary  # noqa: F401 - prints the proof figures
from tests.factories import ResidentFactory, StaffFactory
from tests.live_server import ThreadReusingWSGIServer
from tests.oidc_provider import oidc_provider  # noqa: F401 - a fixture for every app
from tests.worker import real_worker  # noqa: F401 - a fixture for every app


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `long` (the browser crawls, the longest journeys) start the run, shared out
    between the workers: `--dist worksteal` (tools/test) gives each of n workers one n-th of the
    list, in order, so each share is made to begin with every n-th long test. A worker that runs
    out takes tests from the end of another's share: the run ends on short tests and the workers
    finish together (docs/testing.md). Every process orders the same way (xdist checks it)."""
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    items[:] = long_tests_first(items, workers)


def long_tests_first(items: list[pytest.Item], workers: int) -> list[pytest.Item]:
    long = [item for item in items if item.get_closest_marker("long") is not None]
    short = [item for item in items if item.get_closest_marker("long") is None]
    ordered: list[pytest.Item] = []
    for share in range(workers):
        # The size of this share as worksteal cuts it: what is left, divided among who is left.
        size = (len(items) - len(ordered)) // (workers - share)
        own_long = long[share::workers]
        ordered += own_long
        taken = max(0, size - len(own_long))
        ordered += short[:taken]
        short = short[taken:]
    return ordered + short


@pytest.fixture(scope="session")
def django_db_setup(
    django_test_environment: None,
    django_db_blocker: Any,
    django_db_modify_db_settings: None,
) -> Iterator[None]:
    """pytest-django's test database, but cloned from one migrated template (tests/template_db.py):
    each xdist worker gets its own database without migrating it again."""
    with django_db_blocker.unblock():
        target, original = template_db.set_up()
    yield
    with django_db_blocker.unblock():
        template_db.tear_down(target, original)


@pytest.fixture(scope="session", autouse=True)
def _flush_past_truncate_guards() -> Iterator[None]:
    """Transactional tests (live server, real workers, concurrency) are reset after each test by
    Django's flush. It empties every table with one `DELETE` per table instead of one `TRUNCATE` of
    them all (1.5-2.5 s a flush, measured on a loaded machine, against 0.2 s for the DELETEs) and
    puts back the rows the migrations seeded, past the triggers that refuse emptying the audit and
    ballot tables: template_db.put_back says how and why."""
    from django.core.management.commands import flush as flush_command
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush
    # The tables the seed schema holds, by database: its copy is made with the template, once.
    seeded: dict[str, frozenset[str]] = {}

    def sql_flush(self: Any, style: Any, tables: Any, **kwargs: Any) -> list[str]:
        if not tables:
            return []
        database = self.connection.settings_dict["NAME"]
        if database not in seeded:
            with self.connection.cursor() as cursor:
                seeded[database] = template_db.seeded_tables(cursor)
        # Put back what the migrations seeded (tests/template_db.py), as a fresh database has it.
        refilled = [table for table in tables if table in seeded[database]]
        reset = kwargs.get("reset_sequences")
        statements = [
            statement.as_string()
            for statement in template_db.put_back(
                template_db.SEED_SCHEMA, emptied=() if reset else tables, refilled=refilled
            )
        ]
        if reset:  # no test asks for it; Django's own statements empty the tables then
            statements[1:1] = original(self, style, tables, **kwargs)
        # One round trip for the 100-odd statements (Django's flush sends each item of the list
        # on its own): 57 -> 30 ms a flush; the statements themselves take 10 ms on the server.
        return ["; ".join(statements)]

    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign]
    # After its DELETEs, Django's flush sends post_migrate, whose receivers (content types,
    # permissions, the staff roles' groups: civic/roles.py) look up every model of every app to
    # create what is missing: 100-odd queries, 80 % of a flush's time. The seed copied above is the
    # template as those receivers left it after the migrations, so they would find nothing to do.
    original_emit = flush_command.emit_post_migrate_signal
    flush_command.emit_post_migrate_signal = lambda *args, **kwargs: None  # type: ignore[attr-defined]
    yield
    flush_command.emit_post_migrate_signal = original_emit  # type: ignore[attr-defined]
    DatabaseOperations.sql_flush = original  # type: ignore[method-assign]


# What WhiteNoise's middleware reads from the settings when it lists the static files it serves.
_WHITENOISE_SETTINGS = (
    "DEBUG",
    "FORCE_SCRIPT_NAME",
    "INSTALLED_APPS",
    "STATICFILES_DIRS",
    "STATICFILES_FINDERS",
    "STATIC_ROOT",
    "STATIC_URL",
    "STORAGES",
    "WHITENOISE_ADD_HEADERS_FUNCTION",
    "WHITENOISE_ALLOW_ALL_ORIGINS",
    "WHITENOISE_AUTOREFRESH",
    "WHITENOISE_CHARSET",
    "WHITENOISE_IMMUTABLE_FILE_TEST",
    "WHITENOISE_INDEX_FILE",
    "WHITENOISE_MAX_AGE",
    "WHITENOISE_MIMETYPES",
    "WHITENOISE_ROOT",
    "WHITENOISE_STATIC_PREFIX",
    "WHITENOISE_USE_FINDERS",
)


@pytest.fixture(scope="session", autouse=True)
def _static_files_listed_once() -> Iterator[None]:
    """Each test client builds its own middleware, and WhiteNoise's walks every static folder of
    every app (finders included) to list the files it serves: 30-60 ms a client, most of a short API
    test's time, thousands of times a run. A web process lists them once when it starts; here the
    list is made once per set of the settings it depends on (a test that points STATIC_ROOT
    elsewhere gets its own) and each new middleware starts from a copy of it. Nothing in the suite
    writes into a static folder after its files were listed."""
    from django.conf import settings as django_settings
    from whitenoise.middleware import WhiteNoiseMiddleware

    original = WhiteNoiseMiddleware.__init__
    listed: dict[str, dict[str, Any]] = {}

    def __init__(self: Any, get_response: Any = None, settings: Any = django_settings) -> None:
        key = repr([getattr(settings, name, None) for name in _WHITENOISE_SETTINGS])
        if key not in listed:
            original(self, get_response, settings)
            listed[key] = dict(self.files)
            return
        self.add_files = lambda *args, **kwargs: None
        self.add_files_from_finders = lambda: None
        try:
            original(self, get_response, settings)
        finally:
            del self.add_files, self.add_files_from_finders
        self.files = dict(listed[key])

    WhiteNoiseMiddleware.__init__ = __init__  # type: ignore[method-assign]
    yield
    WhiteNoiseMiddleware.__init__ = original  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest) -> Iterator[Any]:
    """pytest-django's live server, serving the application as deployed: Django's handler behind
    the API's short path (civic/perf/hotpath.py), so that the suites driving a live server (journeys,
    header crawls, schema fuzzing with bearer tokens) cover it too, on threads that keep their
    database connections from one request to the next (tests/live_server.py)."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from pytest_django.live_server_helper import LiveServer

    from civic.perf.hotpath import HotPath

    addr = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    server = LiveServer(addr, start=False)
    server.thread.server_class = ThreadReusingWSGIServer
    server.thread.static_handler = lambda application: StaticFilesHandler(HotPath(application))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def resident(db):  # type: ignore[no-untyped-def]
    return ResidentFactory()


@pytest.fixture
def resident_api(resident) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(resident)
    return client


@pytest.fixture
def staff_api(db) -> Callable[[str], APIClient]:  # type: ignore[no-untyped-def]
    """`staff_api("moderator")`: an API client logged in as staff holding that role."""

    def make(role: str) -> APIClient:
        client = APIClient()
        client.force_authenticate(StaffFactory(role=role))
        return client

    return make


@pytest.fixture
def freeze() -> Iterator[Callable[[datetime | str], time_machine.Coordinates]]:
    """`freeze("2026-03-01 12:00")` stops the clock there; `.move_to()` / `.shift()` move it."""
    travellers: list[time_machine.travel] = []

    def at(when: datetime | str) -> time_machine.Coordinates:
        traveller = time_machine.travel(when, tick=False)
        travellers.append(traveller)
        return traveller.start()

    yield at
    for traveller in reversed(travellers):
        traveller.stop()


@pytest.fixture(autouse=True)
def _fresh_rate_limits():  # type: ignore[no-untyped-def]
    """Rate limits and memos outlive a test and ids repeat between tests: start each one clean."""
    from django.core.cache import cache

    from civic.fragments import fragments_forget
    from civic.perf import Memo
    from dashboards.selectors import document_memo_forget
    from petitions.selectors import count_memo_forget
    from petitions.services.signatures import open_memo_forget
    from referendums.services.voting import state_memo_forget

    cache.clear()
    Memo.clear_every()
    document_memo_forget()
    count_memo_forget()
    fragments_forget()
    open_memo_forget()
    state_memo_forget()
    yield
    # A request under /en/ leaves English active in the test's thread (Django's locale
    # middleware activates a language and never deactivates it), so a later test's reverse()
    # would build /en/ addresses: every test starts in the default language.
    translation.deactivate()
