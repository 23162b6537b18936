"""The short path (civic/perf/hotpath.py) answers exactly as the whole stack does.

Every case is sent through the WSGI application twice, with the short path on and off, on the same
data (the first run is rolled back), and the status, the headers, the JSON body and what Django logs
are compared. The test also checks which path served: a case meant for the short path must not
fall back, and an unusual request must reach the whole stack before anything changed."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core import signals
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.db import OperationalError, close_old_connections, transaction
from django.test import override_settings
from django.urls import resolve
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from civic.perf import hotpath
from config.wsgi import application, django_application
from petitions.selectors import count_memo_forget
from petitions.services.signatures import open_memo_forget
from referendums.models import CampaignStatus, Participation
from referendums.services.campaigns import campaigns_advance
from referendums.services.voting import state_memo_forget
from tests.factories import RegisterEntryFactory, ResidentFactory, UserFactory, api_key_for
from tests.petitions.factories import LEGAL, InitiativeFactory
from tests.referendums.factories import CampaignFactory

pytestmark = pytest.mark.django_db


@dataclass
class Answer:
    status: str
    headers: dict[str, str]
    body: Any
    logged: list[str]
    short: bool  # served by the short path, without reaching the whole stack


@dataclass
class Wsgi:
    """Calls the WSGI application as a server would (Django's test client bypasses it), and
    records which requests reached the whole stack. What differs between two runs on the same data
    is normalised: ids (PostgreSQL's sequences are not rolled back), hence lengths, receipts and
    CSRF cookies' values."""

    app: hotpath.HotPath = application
    calls: list[str] = field(default_factory=list)

    def spy(self, monkeypatch: pytest.MonkeyPatch) -> Wsgi:
        whole = self.app.application

        def whole_stack(environ: dict[str, Any], start_response: Any) -> Any:
            self.calls.append(environ["PATH_INFO"])
            return whole(environ, start_response)

        monkeypatch.setattr(self.app, "application", whole_stack)
        return self

    def __call__(
        self,
        method: str,
        path: str,
        token: str | None,
        body: bytes = b"",
        *,
        scheme: str = "http",
        keyword: str = "Bearer",
        **headers: str,
    ) -> Answer:
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": headers.pop("query", ""),
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "443" if scheme == "https" else "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": headers.pop("host", "testserver"),
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": scheme,
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": "application/json",
        }
        if token is not None:
            environ["HTTP_AUTHORIZATION"] = f"{keyword} {token}"
        for name, value in headers.items():
            environ["HTTP_" + name.upper()] = value
        started: dict[str, Any] = {}
        before = len(self.calls)
        logger = logging.getLogger("django.request")
        records: list[logging.LogRecord] = []
        handler = logging.Handler()
        handler.emit = records.append  # type: ignore[method-assign]
        logger.addHandler(handler)
        try:
            result = self.app(environ, lambda s, h, _e=None: started.update(s=s, h=h))
            content = b"".join(result)
            result.close()  # type: ignore[attr-defined]
        finally:
            logger.removeHandler(handler)
        try:
            parsed: Any = json.loads(content)
        except ValueError:
            parsed = content[:60]
        return Answer(
            started["s"],
            {k: _header(k, v, content) for k, v in started["h"]},
            _normalise(parsed),
            [_ids(r.getMessage()) for r in records],
            short=len(self.calls) == before,
        )


def _header(name: str, value: str, content: bytes) -> str:
    if name == "Set-Cookie":
        return value.partition("=")[0]
    if name == "Content-Length":  # ids of different lengths between the runs
        return "<length of the body>" if value == str(len(content)) else value
    return _ids(value)


def _ids(text: str) -> str:
    return re.sub(r"/[0-9]+/", "/<id>/", text)


def _normalise(body: Any) -> Any:
    """Ids and receipts differ between the two runs (PostgreSQL's sequences are not rolled back)."""
    if isinstance(body, dict):
        return {
            k: "<id>" if k == "initiative" else "<receipt>" if k == "receipt" else v
            for k, v in body.items()
        }
    return body


@pytest.fixture
def wsgi(monkeypatch: pytest.MonkeyPatch) -> Iterator[Wsgi]:
    caller = Wsgi().spy(monkeypatch)
    # As Django's test client does: the test's transaction must survive the request signals.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield caller
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _forget() -> None:
    cache.clear()
    count_memo_forget()
    open_memo_forget()
    state_memo_forget()


def both_ways(settings: Any, scenario: Callable[[], list[Answer]]) -> list[Answer]:
    """Run `scenario` with the whole stack, roll it back, run it with the short path; the answers
    must be the same. Returns the short path's answers."""
    answers = {}
    for short in (False, True):
        settings.API_HOT_PATH = short
        _forget()
        with transaction.atomic():
            answers[short] = scenario()
            transaction.set_rollback(True)
    for whole, short in zip(answers[False], answers[True], strict=True):
        assert (short.status, short.body) == (whole.status, whole.body)
        assert short.headers == whole.headers
        assert short.logged == whole.logged
        assert not whole.short  # with the setting off, everything takes the whole stack
    return answers[True]


def _token(user: Any) -> str:
    return api_key_for(user)


def _sign_path(initiative: Any) -> str:
    return f"/api/v1/initiatives/{initiative.pk}/signatures/"


@pytest.fixture
def now(freeze):  # type: ignore[no-untyped-def]
    return freeze("2026-03-02 10:00")


def test_signing_answers_the_same_both_ways(now, settings, wsgi):
    def scenario() -> list[Answer]:
        initiative = InitiativeFactory(collecting=True)
        token = _token(ResidentFactory())
        path = _sign_path(initiative)
        return [
            wsgi("POST", path, token),
            wsgi("POST", path, token),  # again: the same answer
            wsgi("POST", path, token, keyword="Token", accept_language="en"),
            wsgi("POST", path, token, accept="application/json"),
            wsgi("POST", path, token, accept="*/*"),
        ]

    answers = both_ways(settings, scenario)
    assert [a.status for a in answers] == ["201 Created"] * 5
    assert answers[0].body == {
        "initiative": "<id>",
        "signed": True,
        "tracks": ["interpellation-charte"],
    }
    assert answers[2].headers["Content-Language"] == "en"
    assert all(a.short for a in answers)


def test_refusals_after_the_rate_limit_are_answered_the_same(now, settings, wsgi, freeze):
    settings.API_TOKEN_TTL_DAYS = 400  # the clock moves past a six-month collection

    def scenario() -> list[Answer]:
        clock = freeze("2026-03-02 10:00")
        initiative = InitiativeFactory(collecting=True)
        closed = InitiativeFactory(collecting=True)
        first = InitiativeFactory(collecting=True, instruments=[LEGAL])
        second = InitiativeFactory(collecting=True, instruments=[LEGAL])
        unverified = _token(UserFactory())
        child = _token(ResidentFactory(register_entry=RegisterEntryFactory(child=True)))
        resident = _token(ResidentFactory())
        answers = [
            wsgi("POST", _sign_path(initiative), unverified),
            wsgi("POST", _sign_path(initiative), unverified, accept_language="en"),
            wsgi("POST", _sign_path(initiative), child),
            wsgi("POST", "/api/v1/initiatives/999999999/signatures/", resident),
            wsgi("POST", _sign_path(first), resident),
            wsgi("POST", _sign_path(second), resident),  # the quarter's request is used
        ]
        clock.move_to(closed.closes_at + timedelta(seconds=1))
        answers.append(wsgi("POST", _sign_path(closed), resident))
        return answers

    answers = both_ways(settings, scenario)
    assert [(a.status[:3], a.body.get("code")) for a in answers] == [
        ("403", "not_verified"),
        ("403", "not_verified"),
        ("403", "not_eligible_too_young"),
        ("404", "initiative_not_found"),
        ("201", None),
        ("400", "quarter_limit"),
        ("409", "collection_closed"),
    ]
    assert answers[1].body["detail"] != answers[0].body["detail"]  # in English
    assert answers[3].logged == ["Not Found: /api/v1/initiatives/<id>/signatures/"]
    assert all(a.short for a in answers)


def test_the_rate_limit_answers_429_the_same(now, settings, wsgi):
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "sign": "2/min"}

    def scenario() -> list[Answer]:
        initiative = InitiativeFactory(collecting=True)
        token = _token(ResidentFactory())
        with mock.patch.object(ScopedRateThrottle, "THROTTLE_RATES", rates):
            return [wsgi("POST", _sign_path(initiative), token) for _ in range(3)]

    answers = both_ways(settings, scenario)
    assert [a.status[:3] for a in answers] == ["201", "201", "429"]
    assert answers[2].body["code"] == "throttled" and "Retry-After" in answers[2].headers
    assert all(a.short for a in answers)


def test_unusual_requests_take_the_whole_stack_before_anything_changes(now, settings, wsgi):
    def scenario() -> list[Answer]:
        initiative = InitiativeFactory(collecting=True)
        token = _token(ResidentFactory())
        inactive = _token(ResidentFactory(is_active=False))
        path = _sign_path(initiative)
        return [
            wsgi("POST", path, "not-a-token"),
            wsgi("POST", path, inactive),
            wsgi("POST", path, token, query="format=json"),
            wsgi("POST", path, token, accept="text/html"),
            wsgi("POST", path, token, host="evil.example"),
            wsgi("POST", path, None),
            wsgi("POST", path, token, keyword="Basic"),
            wsgi("GET", path, token),
            wsgi("POST", "/api/v1/initiatives/1234567890123456789/signatures/", token),
        ]

    answers = both_ways(settings, scenario)
    assert [a.status[:3] for a in answers] == [
        "403",
        "403",
        "201",
        "201",
        "400",
        "403",
        "403",
        "405",
        "404",
    ]
    assert not any(a.short for a in answers)
    assert answers[3].headers["Content-Type"].startswith("text/html")  # DRF's browsable API


def test_https_redirect_and_hsts_are_the_same(now, settings, wsgi, monkeypatch):
    # The middleware read these settings when they are built: build a second application.
    with override_settings(SECURE_SSL_REDIRECT=True, SECURE_HSTS_SECONDS=3600):
        wsgi = Wsgi(app=hotpath.HotPath(WSGIHandler())).spy(monkeypatch)

    def scenario() -> list[Answer]:
        initiative = InitiativeFactory(collecting=True)
        token = _token(ResidentFactory())
        return [
            wsgi("POST", _sign_path(initiative), token),
            wsgi("POST", _sign_path(initiative), token, scheme="https"),
        ]

    redirected, secure = both_ways(settings, scenario)
    assert redirected.status.startswith("301") and not redirected.short
    assert secure.status.startswith("201") and secure.short
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=3600")


def test_a_server_error_is_answered_and_reported_the_same(now, settings, wsgi):
    reported: list[Any] = []

    def receiver(sender: Any, request: Any = None, **_kw: Any) -> None:
        reported.append(request.path)

    def scenario() -> list[Answer]:
        initiative = InitiativeFactory(collecting=True)
        token = _token(ResidentFactory())
        with mock.patch(
            "petitions.services.signature_sign", side_effect=RuntimeError("database on fire")
        ):
            return [wsgi("POST", _sign_path(initiative), token)]

    signals.got_request_exception.connect(receiver)
    try:
        (answer,) = both_ways(settings, scenario)
    finally:
        signals.got_request_exception.disconnect(receiver)
    assert answer.status.startswith("500") and answer.short
    assert len(reported) == 2 and _ids(reported[0]) == _ids(reported[1])


def test_a_failure_before_the_rate_limit_is_left_to_the_whole_stack(now, settings, wsgi):
    def scenario() -> list[Answer]:
        initiative = InitiativeFactory(collecting=True)
        token = _token(ResidentFactory())
        with mock.patch(
            "civic.api.authentication.token_lookup", side_effect=OperationalError("connection lost")
        ):
            return [wsgi("POST", _sign_path(initiative), token)]

    (answer,) = both_ways(settings, scenario)
    assert answer.status.startswith("500") and not answer.short


def test_casting_answers_the_same_both_ways(settings, wsgi):
    def scenario() -> list[Answer]:
        voter = ResidentFactory()
        campaign = CampaignFactory(status=CampaignStatus.SCHEDULED)
        campaigns_advance()
        campaign.refresh_from_db()
        assert campaign.status == CampaignStatus.VOTING
        late = _token(ResidentFactory())  # registered after the electorate froze
        question = campaign.questions.get()
        path = f"/api/v1/referendums/{campaign.pk}/ballots/"
        token = _token(voter)

        def ballot(value: Any) -> bytes:
            return json.dumps({"choices": {str(question.pk): value}}).encode()

        return [
            wsgi("POST", path, token, ballot("o1")),
            wsgi("POST", path, token, ballot("o2")),  # a re-vote
            wsgi("POST", path, token, b'{"choices": "o1"}'),
            wsgi("POST", path, token, b"{not json"),
            wsgi("POST", path, token, ballot("maybe")),
            wsgi("POST", path, token, ballot(" o1 ")),  # through the serializer
            wsgi("POST", path, late, ballot("o1")),
            wsgi("POST", "/api/v1/referendums/999999999/ballots/", token, ballot("o1")),
        ]

    answers = both_ways(settings, scenario)
    assert [a.status[:3] for a in answers] == [
        "201",
        "201",
        "400",
        "400",
        "400",
        "201",
        "403",
        "404",
    ]
    assert answers[1].body == {"receipt": "<receipt>", "revote": True}
    assert answers[0].headers["Cache-Control"] == "no-store"
    assert answers[3].body["code"] == "malformed_request"
    assert [a.short for a in answers] == [True] * 8
    assert Participation.objects.count() == 0  # both runs rolled back


def test_every_route_is_the_urlconf_s():
    samples = {
        "signatures": "/api/v1/initiatives/12/signatures/",
        "ballots": "/api/v1/referendums/12/ballots/",
    }
    for method, pattern, view in hotpath.ROUTES:
        path = next(p for key, p in samples.items() if key in pattern)
        match = resolve(path)
        assert f"{match.func.view_class.__module__}.{match.func.view_class.__name__}" == view
        assert match.kwargs == {"pk": 12}
        assert method.lower() in match.func.view_class.http_method_names
        assert application.match(
            {"REQUEST_METHOD": method, "PATH_INFO": path, "HTTP_AUTHORIZATION": "Bearer x"}
        )


def test_it_turns_itself_off_for_a_middleware_it_does_not_know(settings):
    assert application.known and hotpath.check_middleware_reviewed() == []
    assert set(settings.MIDDLEWARE) == hotpath.APPLIED | set(hotpath.SKIPPED)
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "example.middleware.Unreviewed"]
    assert not hotpath.HotPath(django_application).known
    (warning,) = hotpath.check_middleware_reviewed()
    assert warning.id == "civic.W010" and "example.middleware.Unreviewed" in warning.msg
    settings.API_HOT_PATH = False
    assert hotpath.check_middleware_reviewed() == []


def test_the_request_signals_are_sent_once_per_request(now, wsgi):
    sent: list[str] = []

    def started(**_kw: Any) -> None:
        sent.append("started")

    def finished(**_kw: Any) -> None:
        sent.append("finished")

    initiative = InitiativeFactory(collecting=True)
    token = _token(ResidentFactory())
    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    try:
        assert wsgi("POST", _sign_path(initiative), token).short
        assert sent == ["started", "finished"]
        sent.clear()
        assert not wsgi("POST", _sign_path(initiative), "not-a-token").short
        assert sent == ["started", "finished", "started", "finished"]  # then the whole stack's
    finally:
        signals.request_started.disconnect(started)
        signals.request_finished.disconnect(finished)
