"""The page path (civic/perf/pagepath.py) answers exactly as the whole stack does.

Each scenario is a browser (a cookie jar, the CSRF token read from the page) sent through the WSGI
application twice on the same data, with the page path on and off (the first run rolled back), and
the status, the headers, the Set-Cookie names and attributes, the body and what Django logs are
compared; only the CSRF token's random values are put aside. The test also checks which path
served: the initiative's page and its signing form must not reach the whole stack, anything else
must."""

from __future__ import annotations

import io
import logging
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings as django_settings
from django.core import signals
from django.core.cache import cache
from django.db import close_old_connections, transaction
from django.test import Client
from django.urls import resolve
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle

from civic.fragments import fragments_forget
from civic.http_cache import page_memo_forget
from civic.perf import pagepath
from config.wsgi import application
from petitions.models import Signature
from petitions.selectors import count_memo_forget
from petitions.services.signatures import open_memo_forget
from tests.factories import RegisterEntryFactory, ResidentFactory, UserFactory
from tests.petitions.factories import CHARTER, LEGAL, InitiativeFactory

pytestmark = pytest.mark.django_db

_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Answer:
    status: str
    headers: list[tuple[str, str]]
    body: str
    logged: list[str]
    whole: bool  # reached the whole stack


@dataclass
class Browser:
    """A cookie jar calling the WSGI application as a server would."""

    app: pagepath.PagePath
    cookies: dict[str, str] = field(default_factory=dict)
    reached: list[str] = field(default_factory=list)
    token: str = ""

    def __call__(
        self, method: str, path: str, form: dict[str, str] | None = None, **headers: str
    ) -> Answer:
        body = urlencode(form).encode() if form is not None else b""
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": headers.pop("query", ""),
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "testserver",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": "application/x-www-form-urlencoded" if form is not None else "",
        }
        for name, value in headers.items():
            environ["HTTP_" + name.upper()] = value
        if self.cookies:
            environ["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started: dict[str, Any] = {}
        before = len(self.reached)
        records: list[logging.LogRecord] = []
        handler = logging.Handler()
        handler.emit = records.append  # type: ignore[method-assign]
        logger = logging.getLogger("django.request")
        logger.addHandler(handler)
        try:
            result = self.app(environ, lambda s, h, _e=None: started.update(s=s, h=h))
            content = b"".join(result).decode()
            result.close()  # type: ignore[attr-defined]
        finally:
            logger.removeHandler(handler)
        headers_out: list[tuple[str, str]] = []
        for name, value in started["h"]:
            if name == "Set-Cookie":
                cookie, _eq, rest = value.strip().partition("=")
                morsel_value, _sep, attributes = rest.partition(";")
                if "Max-Age=0" in attributes or "1970" in attributes:
                    self.cookies.pop(cookie, None)
                else:
                    self.cookies[cookie] = morsel_value
                value = f"{cookie}=<value>;{attributes}"
            if name == "Content-Length":
                value = "<length>"  # a masked token's length never changes, but say so anyway
            headers_out.append((name, value))
        found = _TOKEN.search(content)
        if found is not None:
            self.token = found.group(1)
        return Answer(
            started["s"],
            sorted(headers_out),
            _TOKEN.sub('name="csrfmiddlewaretoken" value="<token>"', content),
            [r.getMessage() for r in records],
            whole=len(self.reached) > before,
        )


@pytest.fixture
def browsers(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Browser]]:
    page_path = application.application
    assert isinstance(page_path, pagepath.PagePath)
    reached: list[str] = []
    whole = page_path.application

    def whole_stack(environ: dict[str, Any], start_response: Any) -> Any:
        reached.append(environ["PATH_INFO"])
        return whole(environ, start_response)

    monkeypatch.setattr(page_path, "application", whole_stack)
    # As Django's test client does: the test's transaction must survive the request signals.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)

    def new(session: str | None = None) -> Browser:
        cookies = {django_settings.SESSION_COOKIE_NAME: session} if session else {}
        return Browser(page_path, cookies, reached)

    try:
        yield new
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _forget() -> None:
    cache.clear()  # rate-limit counters, counts, the cached sessions (read back from the database)
    count_memo_forget()
    open_memo_forget()
    fragments_forget()
    page_memo_forget()


def both_ways(settings: Any, scenario: Callable[[], list[Answer]]) -> list[Answer]:
    """Run `scenario` with the whole stack, roll it back, run it with the page path; the answers
    must be the same. Returns the page path's answers."""
    answers = {}
    for short in (False, True):
        settings.PAGE_HOT_PATH = short
        _forget()
        with transaction.atomic():
            answers[short] = scenario()
            transaction.set_rollback(True)
    for i, (whole, short) in enumerate(zip(answers[False], answers[True], strict=True)):
        differ = set(short.headers) ^ set(whole.headers)
        assert (i, short.status, sorted(differ)) == (i, whole.status, [])
        assert short.body == whole.body
        assert short.logged == whole.logged
        assert whole.whole  # with the setting off, everything takes the whole stack
    return answers[True]


def _session(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


@pytest.fixture
def now(freeze):  # type: ignore[no-untyped-def]
    return freeze("2026-03-02 10:00")


@pytest.fixture(params=[0, 60], ids=["rendered", "kept"])
def kept(request: pytest.FixtureRequest, settings: Any) -> None:
    """Both as in the tests (every page rendered) and as in production (parts and pages kept)."""
    settings.PAGE_FRAGMENT_SECONDS = request.param
    settings.PAGE_MEMO_SECONDS = request.param and 1


def test_a_resident_signs_with_the_form_the_same_both_ways(now, settings, kept, browsers):
    initiative = InitiativeFactory(collecting=True, instruments=[CHARTER, LEGAL])
    session = _session(ResidentFactory())
    page, sign = f"/initiatives/{initiative.pk}/", f"/initiatives/{initiative.pk}/sign/"

    def scenario() -> list[Answer]:
        browser = browsers(session)
        answers = [browser("GET", page)]
        answers.append(browser("POST", sign, {"csrfmiddlewaretoken": browser.token}))
        answers.append(browser("GET", page))  # the redirect followed: the message, once
        answers.append(browser("GET", page))
        answers.append(browser("POST", sign, {"csrfmiddlewaretoken": browser.token}))  # again
        answers.append(browser("GET", page, query="from=share"))
        answers.append(browser("HEAD", page))
        assert Signature.objects.filter(initiative=initiative).count() == 1
        return answers

    answers = both_ways(settings, scenario)
    assert [a.status[:3] for a in answers] == ["200", "302", "200", "200", "302", "200", "200"]
    assert ("Location", page) in answers[1].headers
    assert "Votre signature est enregistrée" in answers[2].body
    assert "Votre signature est enregistrée" not in answers[3].body
    assert "Vous avez signé" in answers[3].body
    assert not any(a.whole for a in answers)


def test_refusals_are_answered_the_same_both_ways(now, settings, kept, browsers):
    open_one = InitiativeFactory(collecting=True)
    closing = InitiativeFactory(collecting=True)
    resident = _session(ResidentFactory())
    unverified = _session(UserFactory())
    child = _session(ResidentFactory(register_entry=RegisterEntryFactory(child=True)))
    page = f"/initiatives/{open_one.pk}/"

    def sign(initiative: Any) -> str:
        return f"/initiatives/{initiative.pk}/sign/"

    start = timezone.now()

    def scenario() -> list[Answer]:
        now.move_to(start)
        answers = []
        for session in (resident, unverified, child):
            browser = browsers(session)
            answers.append(browser("GET", page))
            answers.append(browser("POST", sign(open_one), {"csrfmiddlewaretoken": "x" * 64}))
            answers.append(browser("POST", sign(open_one), {}))  # no token
            answers.append(browser("POST", sign(open_one), {"csrfmiddlewaretoken": browser.token}))
            answers.append(browser("GET", page))
        anonymous = browsers()
        answers.append(anonymous("GET", page))
        answers.append(anonymous("POST", sign(open_one), {"csrfmiddlewaretoken": "x" * 64}))
        browser = browsers(resident)
        browser("GET", page)
        now.move_to(closing.closes_at + timedelta(seconds=1))
        answers.append(browser("POST", sign(closing), {"csrfmiddlewaretoken": browser.token}))
        answers.append(browser("GET", f"/initiatives/{closing.pk}/"))
        answers.append(
            browser("POST", "/initiatives/999999999/sign/", {"csrfmiddlewaretoken": browser.token})
        )
        answers.append(browser("GET", "/initiatives/999999999/"))
        return answers

    answers = both_ways(settings, scenario)
    statuses = [a.status[:3] for a in answers]
    assert statuses == [
        *(["200", "403", "403", "302", "200"] * 3),
        "200",
        "403",
        "302",
        "200",
        "302",
        "404",
    ]
    assert "Vérifiez votre compte pour signer." in answers[9].body
    assert not any(a.whole for a in answers)
    assert Signature.objects.count() == 0


def test_the_rate_limit_is_answered_the_same_both_ways(now, settings, browsers, monkeypatch):
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "sign": "1/min"}
    )
    first, second = InitiativeFactory(collecting=True), InitiativeFactory(collecting=True)
    session = _session(ResidentFactory())

    def scenario() -> list[Answer]:
        browser = browsers(session)
        answers = [browser("GET", f"/initiatives/{first.pk}/")]
        for initiative in (first, second):
            answers.append(
                browser(
                    "POST",
                    f"/initiatives/{initiative.pk}/sign/",
                    {"csrfmiddlewaretoken": browser.token},
                )
            )
            answers.append(browser("GET", f"/initiatives/{initiative.pk}/"))
        return answers

    answers = both_ways(settings, scenario)
    assert "Trop de tentatives" in answers[4].body
    assert not any(a.whole for a in answers)


def test_other_languages_methods_and_paths_are_answered_the_same(now, settings, browsers):
    initiative = InitiativeFactory(collecting=True)
    session = _session(ResidentFactory())
    pk = initiative.pk

    def scenario() -> list[Answer]:
        browser = browsers(session)
        return [
            browser("GET", f"/en/initiatives/{pk}/"),
            browser("POST", f"/en/initiatives/{pk}/sign/", {"csrfmiddlewaretoken": browser.token}),
            browser("GET", f"/en/initiatives/{pk}/"),
            browser("GET", f"/fr/initiatives/{pk}/"),  # French has no prefix: a 404
            browser("GET", f"/de/initiatives/{pk}/"),
            browser("GET", f"/initiatives/{pk}/sign/"),  # 405: the whole stack
            browser("POST", f"/initiatives/{pk}/"),  # no token: CSRF refuses it first
            browser("GET", f"/initiatives/{pk}"),  # the slash added: the whole stack
            browser("GET", f"/initiatives/{pk}/unsign/"),
        ]

    answers = both_ways(settings, scenario)
    assert [a.status[:3] for a in answers] == [
        "200",
        "302",
        "200",
        "404",
        "404",
        "405",
        "403",
        "301",
        "405",
    ]
    assert 'lang="en"' in answers[2].body
    assert [a.whole for a in answers] == [False, False, False, False, True, True, True, True, True]


def test_the_routes_are_the_urlconfs_and_an_unreviewed_middleware_turns_the_path_off(settings):
    for path, name in (("/initiatives/12/", "detail"), ("/initiatives/12/sign/", "sign")):
        match = resolve(path)
        assert (match.namespace, match.url_name, match.kwargs) == ("petitions", name, {"pk": 12})
        environ = {"REQUEST_METHOD": "POST" if name == "sign" else "GET", "PATH_INFO": path}
        assert application.application.match(environ) == (name, 12, "/")
    assert pagepath.check_middleware_reviewed() == []
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.someone.NewMiddleware"]
    (warning,) = pagepath.check_middleware_reviewed()
    assert warning.id == "civic.W011"
    assert not pagepath.PagePath(lambda e, s: []).known
