"""Abuse is slowed, not users: a burst from one client on login, verification, signing and voting is
refused with 429 and the stable code `throttled` (with `retry_after`) while another resident, or
another address, still passes. Rates are lowered per test so the bursts stay small."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from rest_framework.settings import api_settings
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from tests.factories import ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db


@contextmanager
def rate(scope: str, value: str) -> Iterator[None]:
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, scope: value}
    cache.clear()
    try:
        with mock.patch.object(ScopedRateThrottle, "THROTTLE_RATES", rates):
            yield
    finally:
        cache.clear()


def client_for(user, addr: str = "10.0.0.1") -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient(REMOTE_ADDR=addr)
    if user is not None:
        client.force_authenticate(user)
    return client


def assert_throttled(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "throttled"
    assert body["retry_after"] > 0


def test_the_shipped_rates_cover_login_verification_signing_and_voting(settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert {"token", "sign", "vote"} <= set(rates)
    # Verification has one budget for the page and the API, counted by the service.
    assert settings.THROTTLE_VERIFICATION and settings.THROTTLE_VERIFICATION_ADDRESS
    assert "verification" not in rates
    assert "login_failed" in settings.ACCOUNT_RATE_LIMITS


# --- signing ------------------------------------------------------------------------------------


def test_a_signing_burst_from_one_resident_is_throttled_while_another_resident_signs():
    from tests.petitions.factories import InitiativeFactory

    initiative = InitiativeFactory(collecting=True)
    url = f"/api/v1/initiatives/{initiative.pk}/signatures/"
    burst, other = ResidentFactory(), ResidentFactory()
    with rate("sign", "3/min"):
        codes = [client_for(burst).post(url).status_code for _ in range(3)]
        throttled = client_for(burst).post(url)
        passes = client_for(other).post(url)
    assert codes == [201, 201, 201]  # a repeated signature gets the first one's answer
    assert_throttled(throttled)
    assert passes.status_code == 201


def test_withdrawing_shares_the_signing_budget():
    from tests.petitions.factories import InitiativeFactory

    initiative = InitiativeFactory(collecting=True)
    resident = ResidentFactory()
    with rate("sign", "2/min"):
        client = client_for(resident)
        client.post(f"/api/v1/initiatives/{initiative.pk}/signatures/")
        client.delete(f"/api/v1/initiatives/{initiative.pk}/signatures/mine/")
        assert_throttled(client.post(f"/api/v1/initiatives/{initiative.pk}/signatures/"))


# --- voting -------------------------------------------------------------------------------------


def test_a_voting_burst_from_one_voter_is_throttled_while_another_voter_casts(open_vote):
    vote = open_vote(voters=2)
    url = f"/api/v1/referendums/{vote.campaign.pk}/ballots/"
    body = {"choices": vote.choices("yes")}
    with rate("vote", "2/min"):
        codes = [
            client_for(vote.voters[0]).post(url, body, format="json").status_code for _ in "ab"
        ]
        throttled = client_for(vote.voters[0]).post(url, body, format="json")
        passes = client_for(vote.voters[1]).post(url, body, format="json")
    assert codes == [201, 201]
    assert_throttled(throttled)
    assert passes.status_code == 201


# --- verification -------------------------------------------------------------------------------


def test_a_verification_burst_is_throttled_while_another_account_verifies(settings):
    from tests.factories import RegisterEntryFactory

    wrong = {"last_name": "x", "first_names": "y", "birth_date": "1975-06-15", "roll_number": "Z"}
    entry = RegisterEntryFactory()
    right = {
        "last_name": entry.last_name,
        "first_names": entry.first_names,
        "birth_date": entry.birth_date.isoformat(),
        "roll_number": entry.roll_number,
    }
    prober, honest = UserFactory(), UserFactory()
    settings.THROTTLE_VERIFICATION = "3/hour"
    cache.clear()
    codes = [
        client_for(prober).post("/api/v1/me/verification/", wrong).status_code for _ in range(3)
    ]
    throttled = client_for(prober).post("/api/v1/me/verification/", right)
    passes = client_for(honest, "10.0.0.2").post("/api/v1/me/verification/", right)
    assert codes == [400, 400, 400]
    assert_throttled(throttled)  # even the right answer: the budget is spent
    assert passes.status_code == 200


# --- login ---------------------------------------------------------------------------------------


def test_an_api_login_burst_from_one_address_is_throttled_while_another_address_logs_in():
    user = UserFactory(email="someone@example.org", password="correct horse battery")
    wrong = {"email": "someone@example.org", "password": "nope"}
    right = {"email": "someone@example.org", "password": "correct horse battery"}
    with rate("token", "3/min"):
        codes = [
            client_for(None, "10.0.0.7").post("/api/v1/auth/token/", wrong).status_code
            for _ in range(3)
        ]
        throttled = client_for(None, "10.0.0.7").post("/api/v1/auth/token/", right)
        passes = client_for(None, "10.0.0.8").post("/api/v1/auth/token/", right)
    assert codes == [400, 400, 400]
    assert_throttled(throttled)
    assert passes.status_code == 200 and passes.json()["token"]
    assert user.pk


def test_a_login_burst_cannot_escape_the_limit_by_forging_x_forwarded_for():
    wrong = {"email": "someone@example.org", "password": "nope"}
    with rate("token", "3/min"):
        codes = [
            APIClient(REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
            .post("/api/v1/auth/token/", wrong)
            .status_code
            for i in range(5)
        ]
    assert codes.count(429) == 2


def test_failed_web_logins_on_one_account_are_slowed_while_another_resident_logs_in(client):
    cache.clear()
    target = UserFactory(email="target@example.org", password="the right one")
    other = UserFactory(email="other@example.org", password="mine is fine")
    url = reverse("account_login")
    try:
        attempts = [
            client.post(
                url,
                {"login": target.email, "password": f"guess {i}"},
                REMOTE_ADDR=f"10.1.0.{i}",
            )
            for i in range(6)
        ]
        right_but_locked = client.post(
            url, {"login": target.email, "password": "the right one"}, REMOTE_ADDR="10.1.0.50"
        )
        passes = Client().post(
            url, {"login": other.email, "password": "mine is fine"}, REMOTE_ADDR="10.2.0.1"
        )
    finally:
        cache.clear()

    def locked(response) -> bool:  # type: ignore[no-untyped-def]
        return response.context["form"].has_error("__all__", "too_many_login_attempts")

    # login_failed "5/5m/key": five wrong passwords per account, then refused whatever the address
    # (allauth answers with the form and its stable error code, not a 429).
    assert [locked(r) for r in attempts] == [False] * 5 + [True]
    assert locked(right_but_locked)
    assert "_auth_user_id" not in client.session
    assert passes.status_code == 302
