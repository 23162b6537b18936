"""API bodies: too deep a JSON is a 400 `json_too_deep`, too large a body a 413 `request_too_large`,
on every write endpoint, for anyone, with or without a Content-Length; never a 500."""

from __future__ import annotations

import io
import json
import re
import sys
from typing import Any

import pytest
from django.core import signals
from django.db import close_old_connections
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from config.wsgi import application
from referendums.models import CampaignStatus
from referendums.services.campaigns import campaigns_advance
from tests.factories import ResidentFactory, StaffFactory
from tests.petitions.factories import InitiativeFactory
from tests.referendums.factories import CampaignFactory

pytestmark = pytest.mark.django_db

NESTED_1000 = b"[" * 1000 + b"]" * 1000
NESTED_100K = b'{"a":' * 100_000 + b"1" + b"}" * 100_000


def _api_routes() -> list[str]:
    """Every URL of the API, ids filled with 1."""
    found: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                found.append("/" + re.sub(r"<[^>]+>", "1", route).lstrip("^").rstrip("$"))

    walk(get_resolver().url_patterns, "")
    return sorted({r for r in found if r.startswith("/api/v1/")})


ROUTES = _api_routes()


def _clients() -> dict[str, APIClient]:
    anonymous = APIClient()
    resident = APIClient()
    resident.force_authenticate(ResidentFactory())
    admin = APIClient()
    admin.force_authenticate(StaffFactory(role="administrator", is_superuser=True))
    return {"anonymous": anonymous, "resident": resident, "administrator": admin}


def test_the_api_has_write_routes_to_attack():
    assert "/api/v1/auth/token/" in ROUTES
    assert "/api/v1/initiatives/1/signatures/" in ROUTES
    assert len(ROUTES) > 30


@pytest.mark.parametrize("body", [NESTED_1000, NESTED_100K], ids=["1000-levels", "100k-levels"])
def test_deeply_nested_json_is_a_400_on_every_endpoint_for_everyone(body):
    InitiativeFactory(collecting=True)
    server_errors = []
    for who, client in _clients().items():
        for route in ROUTES:
            for method in ("post", "put", "patch"):
                answer = getattr(client, method)(route, body, content_type="application/json")
                if answer.status_code >= 500:
                    server_errors.append((who, method, route, answer.status_code))
    assert server_errors == []


def test_the_anonymous_token_endpoint_says_json_too_deep():
    for body in (NESTED_1000, NESTED_100K):
        answer = APIClient().post("/api/v1/auth/token/", body, content_type="application/json")
        assert answer.status_code == 400
        assert answer.json()["code"] == "json_too_deep"


def test_nesting_within_the_limit_is_parsed_and_beyond_it_refused(settings):
    settings.API_JSON_MAX_DEPTH = 5
    within = {"email": "a@example.org", "password": [[[["x"]]]]}  # 5 levels
    beyond = {"email": "a@example.org", "password": [[[[["x"]]]]]}  # 6 levels
    client = APIClient()
    assert client.post("/api/v1/auth/token/", within, format="json").json()["code"] == "invalid"
    refused = client.post("/api/v1/auth/token/", beyond, format="json")
    assert (refused.status_code, refused.json()["code"]) == (400, "json_too_deep")


@pytest.mark.parametrize(
    "body", [b"NaN", b'{"a": Infinity}', b"\xff\xfe", b"1" * 5000, b'{"a": 1'], ids=repr
)
def test_what_is_not_json_is_a_malformed_request(body):
    answer = APIClient().post("/api/v1/auth/token/", body, content_type="application/json")
    assert (answer.status_code, answer.json()["code"]) == (400, "malformed_request")


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_an_oversize_body_is_a_413(settings, content_type):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    body = b'{"email": "' + b"a" * 5000 + b'"}'
    answer = APIClient().post("/api/v1/auth/token/", body, content_type=content_type)
    assert answer.status_code == 413
    assert answer.json()["code"] == "request_too_large"


class CountingStream(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def _chunked(path: str, body: bytes, **extra: str) -> tuple[Any, CountingStream]:
    stream = CountingStream(body)
    answer = Client().generic(
        "POST",
        path,
        b"",
        content_type="application/json",
        **{
            "CONTENT_LENGTH": "",
            "CONTENT_TYPE": "application/json",
            "HTTP_TRANSFER_ENCODING": "chunked",
            "wsgi.input": stream,
            **extra,
        },
    )
    return answer, stream


def test_an_oversize_chunked_body_without_content_length_is_a_413_read_no_further(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    answer, stream = _chunked("/api/v1/auth/token/", b"[" * 1_000_000)
    assert answer.status_code == 413
    assert answer.json()["code"] == "request_too_large"
    assert stream.bytes_read <= 4097


def test_a_small_chunked_body_is_read_as_a_body(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    answer, _stream = _chunked("/api/v1/auth/token/", NESTED_1000)
    assert (answer.status_code, answer.json()["code"]) == (400, "json_too_deep")
    answer, _stream = _chunked(
        "/api/v1/auth/token/", json.dumps({"email": "nobody@example.org", "password": "x"}).encode()
    )
    assert (answer.status_code, answer.json()["code"]) == (400, "invalid_credentials")


def _wsgi(path: str, body: bytes, token: str, *, length: bool = True) -> tuple[str, Any]:
    """Through the WSGI application a server calls (the short path for signing included)."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "CONTENT_TYPE": "application/json",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
    }
    if length:
        environ["CONTENT_LENGTH"] = str(len(body))
    else:
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    started: dict[str, Any] = {}
    # As a server would, but the test's database connection must outlive the request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        result = application(environ, lambda s, h, _e=None: started.update(s=s))
        content = b"".join(result)
        result.close()  # type: ignore[attr-defined]
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return started["s"], json.loads(content)


@pytest.mark.parametrize("length", [True, False], ids=["content-length", "chunked"])
def test_the_casting_short_path_applies_the_same_limits(settings, length):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    voter = ResidentFactory(email="voter@example.org")
    campaign = CampaignFactory(status=CampaignStatus.SCHEDULED)
    campaigns_advance()
    got = Client().post(
        "/api/v1/auth/token/",
        {"email": voter.email, "password": "correct horse battery"},
        content_type="application/json",
    )
    token = got.json()["token"]
    path = f"/api/v1/referendums/{campaign.pk}/ballots/"
    status, body = _wsgi(path, NESTED_1000, token, length=length)
    assert (status[:3], body["code"]) == ("400", "json_too_deep")
    status, body = _wsgi(path, b" " * 5000, token, length=length)
    assert (status[:3], body["code"]) == ("413", "request_too_large")
