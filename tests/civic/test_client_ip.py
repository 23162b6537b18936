"""One reading of the client's address (TRUSTED_PROXY_COUNT) for every rate limit: the API's
throttles and allauth's login limits. Behind n proxies the n-th address from the right of
X-Forwarded-For is the client; what a client writes further left never moves its limit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import reverse
from rest_framework.settings import api_settings
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from civic.accounts import AccountAdapter
from civic.api.throttling import AnonRateThrottle
from civic.client_ip import client_ip

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"
WRONG = {"email": "someone@example.org", "password": "nope"}


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "", "10.0.0.2"),
        (0, "203.0.113.7", "10.0.0.2"),  # no proxy: the header is the client's own words
        (1, "", "10.0.0.2"),
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # the forged part is on the left
        (1, "198.51.100.1,203.0.113.7 ", "203.0.113.7"),
        (2, "198.51.100.1, 203.0.113.7, 10.0.0.9", "203.0.113.7"),
        (3, "203.0.113.7, 10.0.0.9", "203.0.113.7"),  # fewer hops than proxies: the leftmost
        (1, "not-an-address", "10.0.0.2"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_client_is_the_nth_address_from_the_right(settings, count, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = count
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, **extra)
    assert client_ip(request) == expected
    assert AccountAdapter(request).get_client_ip(request) == expected
    assert AnonRateThrottle().get_ident(request) == expected


def test_drf_reads_no_proxy_count_of_its_own(settings):
    assert "NUM_PROXIES" not in settings.REST_FRAMEWORK
    assert api_settings.NUM_PROXIES is None  # unused: our throttles read TRUSTED_PROXY_COUNT


@contextmanager
def rate(scope: str, value: str) -> Iterator[None]:
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, scope: value}
    cache.clear()
    try:
        with mock.patch.object(ScopedRateThrottle, "THROTTLE_RATES", rates):
            yield
    finally:
        cache.clear()


def _login(forwarded: str) -> int:
    client = APIClient(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    return client.post("/api/v1/auth/token/", WRONG, format="json").status_code


def test_behind_one_proxy_a_forged_x_forwarded_for_does_not_escape_the_api_limit(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    with rate("token", "3/min"):
        codes = [_login(f"192.0.2.{i}, 203.0.113.7") for i in range(5)]
    assert codes == [400, 400, 400, 429, 429]


def test_behind_one_proxy_two_clients_have_two_limits(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    with rate("token", "3/min"):
        first = [_login("203.0.113.7") for _ in range(4)]
        second = _login("203.0.113.8")
    assert first == [400, 400, 400, 429]
    assert second == 400  # not the proxy's shared bucket


def _web_login_locked(forwarded: str, n: int) -> bool:
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    # Another account each time: the per-account limit stays out of the way.
    answer = client.post(
        reverse("account_login"), {"login": f"nobody{n}@example.org", "password": "x"}
    )
    # allauth answers with the form and its stable error code, not a 429.
    return bool(answer.context["form"].has_error("__all__", "too_many_login_attempts"))


def test_the_web_login_limit_keys_on_the_same_client_address(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "3/m/ip"}
    cache.clear()
    try:
        forged = [_web_login_locked(f"192.0.2.{i}, 203.0.113.7", i) for i in range(5)]
        other = _web_login_locked("203.0.113.8", 99)
    finally:
        cache.clear()
    assert forged == [False, False, False, True, True]
    assert other is False  # another client behind the same proxy
