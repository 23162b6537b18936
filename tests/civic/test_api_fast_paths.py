"""The API's hot-path plumbing: token authentication in one query, and rate limits counted in the
shared cache with a sliding window (exact under concurrency, one round trip)."""

from __future__ import annotations

import threading

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from civic.api.authentication import token_user
from civic.api.throttling import seconds_until_allowed, sliding_count, window_hit
from tests.factories import ResidentFactory, UserFactory, api_key_for

pytestmark = pytest.mark.django_db


def bearer(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


# --- token authentication -------------------------------------------------------------------------


def test_a_token_brings_its_user_and_register_entry_in_one_query():
    resident = ResidentFactory()
    key = api_key_for(resident)
    with CaptureQueriesContext(connection) as queries:
        user = token_user(key)
        assert user is not None
        entry = user.register_entry
    assert len(queries) == 1
    assert user.pk == resident.pk and user.email == resident.email
    assert user.is_verified  # the verification fields came through their converters
    assert user.verified_at == resident.verified_at
    assert entry.pk == resident.register_entry_id
    assert entry.birth_date == resident.register_entry.birth_date
    assert entry.identity_hash == resident.register_entry.identity_hash


def test_a_token_of_an_account_without_register_entry_authenticates_without_one():
    user = UserFactory()
    key = api_key_for(user)
    found = token_user(key)
    assert found is not None and found.pk == user.pk
    assert found.register_entry_id is None
    assert bearer(key).get("/api/v1/me/").json()["email"] == user.email


@pytest.mark.parametrize("keyword", ["Bearer", "Token"])
def test_both_keywords_authenticate(keyword):
    resident = ResidentFactory()
    key = api_key_for(resident)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {key}")
    assert client.get("/api/v1/me/").json()["email"] == resident.email


def test_an_unknown_token_and_a_deactivated_account_get_the_same_refusal():
    resident = ResidentFactory()
    key = api_key_for(resident)
    unknown = bearer("0" * 40).get("/api/v1/me/")
    resident.is_active = False
    resident.save(update_fields=["is_active"])
    inactive = bearer(key).get("/api/v1/me/")
    assert unknown.status_code == inactive.status_code == 403  # the session scheme is first
    assert unknown.json() == inactive.json()
    assert unknown.json()["code"] == "authentication_failed"


# --- sliding-window rate limits -------------------------------------------------------------------


def test_the_sliding_count_weighs_the_previous_window_by_what_is_left_of_it():
    assert sliding_count(current=3, previous=10, elapsed=0.0) == 13
    assert sliding_count(current=3, previous=10, elapsed=0.5) == 8
    assert sliding_count(current=3, previous=10, elapsed=1.0) == 3


def test_the_wait_announced_is_when_the_sliding_count_fits_again():
    window, limit = 60, 10
    # Under the limit in this window: only the previous window's decay is waited for.
    wait = seconds_until_allowed(current=5, previous=10, elapsed=0.25, window=window, limit=limit)
    assert wait == pytest.approx(15.0)
    assert sliding_count(5, 10, 0.25 + wait / window) == pytest.approx(limit)
    # Over the limit in this window alone: the next window, decayed far enough.
    wait = seconds_until_allowed(current=20, previous=0, elapsed=0.5, window=window, limit=limit)
    assert wait == pytest.approx(30.0 + 30.0)
    assert sliding_count(0, 20, 0.5) == pytest.approx(limit)  # 30 s into the next window


def test_window_hits_carry_over_into_the_next_window():
    cache.clear()
    start = 1_000_000 * 60.0  # the very start of a window
    for _ in range(4):
        window_hit("test:carry", 60, now=start + 1)
    assert window_hit("test:carry", 60, now=start + 2) == (5, 0)
    assert window_hit("test:carry", 60, now=start + 61) == (1, 5)
    assert window_hit("test:other", 60, now=start + 61) == (1, 0)  # keys are apart


def test_concurrent_hits_are_all_counted():
    """INCR in Redis (and the cache's incr in one process) is atomic: no hit lost to a race."""
    cache.clear()
    now = 2_000_000 * 60.0 + 5
    seen: list[int] = []
    lock = threading.Lock()

    def hit() -> None:
        for _ in range(10):
            current, _previous = window_hit("test:race", 60, now=now)
            with lock:
                seen.append(current)

    threads = [threading.Thread(target=hit) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == list(range(1, 201))  # every count handed out exactly once


def test_a_throttled_sign_request_announces_a_wait_within_the_window(settings):
    from tests.petitions.factories import InitiativeFactory

    initiative = InitiativeFactory(collecting=True)
    resident = ResidentFactory()
    key = api_key_for(resident)
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "sign": "2/min"}
    from unittest import mock

    from civic.api.throttling import ScopedRateThrottle

    cache.clear()
    with mock.patch.object(ScopedRateThrottle, "THROTTLE_RATES", rates):
        url = f"/api/v1/initiatives/{initiative.pk}/signatures/"
        codes = [bearer(key).post(url).status_code for _ in range(3)]
        refused = bearer(key).post(url)
    assert codes == [201, 201, 429]
    assert refused.status_code == 429
    assert 1 <= refused.json()["retry_after"] <= 120


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer " + "x" * 65, "Token é"])
def test_a_malformed_authorization_header_is_refused_not_ignored(header):
    response = APIClient(HTTP_AUTHORIZATION=header).get("/api/v1/me/")
    assert response.status_code == 403
    assert response.json()["code"] == "authentication_failed"


def test_another_scheme_is_left_to_the_other_authenticators():
    response = APIClient(HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz").get("/api/v1/me/")
    assert response.status_code == 403
    assert response.json()["code"] == "not_authenticated"


def test_a_signature_over_the_api_costs_two_statements_once_the_tracks_are_known():
    """Token (with user and entry) and the guarded insert-and-count: nothing else."""
    from tests.petitions.factories import InitiativeFactory

    initiative = InitiativeFactory(collecting=True)
    first, second = ResidentFactory(), ResidentFactory()
    url = f"/api/v1/initiatives/{initiative.pk}/signatures/"
    assert bearer(api_key_for(first)).post(url).status_code == 201
    client = bearer(api_key_for(second))
    with CaptureQueriesContext(connection) as queries:
        assert client.post(url).status_code == 201
    # The test's own transaction adds a savepoint around the insert; production runs in autocommit.
    statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 2, [sql[:60] for sql in statements]
