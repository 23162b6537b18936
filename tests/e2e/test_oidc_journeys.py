"""Signing in with an OpenID Connect provider in a real browser: the local provider of
tests/oidc_provider.py (FranceConnect-shaped claims, signed userinfo), the live server, headless
Chromium. Every journey ends on a clear page; a failed one leaves no account behind."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from civic.models import DeskRequest, OidcIdentity, User, VerificationMethod
from tests.e2e.accessibility import axe_violations
from tests.e2e.browser import missing_axe
from tests.factories import RegisterEntryFactory
from tests.oidc_provider import MARIE, LocalProvider

pytestmark = pytest.mark.django_db(transaction=True)
BUTTON = "S'identifier avec FranceConnect"


@pytest.fixture
def marie(live_server: Any) -> Any:
    return RegisterEntryFactory(
        last_name="Dupont", first_names="Marie Hélène", birth_date=date(1984, 3, 12)
    )


def consent(page: Any, provider: LocalProvider, *, button: str = "Continuer") -> None:
    """From the sign-in page to the provider's consent page, and back with the answer."""
    page.goto("/accounts/login/")
    page.get_by_role("link", name=BUTTON).click()
    page.wait_for_url(re.compile(re.escape(provider.issuer) + "/authorize"))
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()


def no_account() -> bool:
    return not (User.objects.exists() or OidcIdentity.objects.exists())


def test_a_resident_signs_in_is_verified_and_logs_out_at_the_provider(
    page: Any, oidc_provider: LocalProvider, marie: Any
):
    if missing_axe() is None:
        page.goto("/accounts/login/")
        assert axe_violations(page, "/accounts/login/") == []
    consent(page, oidc_provider)
    assert "Votre compte est vérifié" in page.get_by_role("status").inner_text()
    user = User.objects.get(email=MARIE["email"])
    assert user.register_entry_id == marie.pk
    assert user.verification_method == VerificationMethod.OIDC

    nav = page.get_by_role("navigation", name="Navigation principale")
    nav.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(re.compile(r"/\?state="))
    assert len(oidc_provider.ended_sessions) == 1
    assert nav.get_by_role("link", name="Se connecter").count() == 1


def test_a_near_miss_is_sent_to_the_desk(page: Any, oidc_provider: LocalProvider, live_server: Any):
    RegisterEntryFactory(last_name="Dupont", first_names="Marie", birth_date=date(1984, 3, 12))
    consent(page, oidc_provider)
    assert "guichet" in page.locator("main .lead").inner_text()
    assert DeskRequest.objects.get().reason == "first_names_partial"
    if missing_axe() is None:
        assert axe_violations(page, "/oidc/callback/") == []


def test_no_match_says_what_to_do_and_opens_no_account(
    page: Any, oidc_provider: LocalProvider, live_server: Any
):
    consent(page, oidc_provider)
    assert "aucune inscription" in page.locator("main .lead").inner_text()
    assert page.get_by_role("heading", name="Que faire ?").count() == 1
    assert no_account()


def test_cancelled_consent(page: Any, oidc_provider: LocalProvider, marie: Any):
    consent(page, oidc_provider, button="Annuler")
    assert "Vous avez annulé la connexion" in page.locator("main .lead").inner_text()
    assert no_account()


def test_a_replayed_state_is_refused(page: Any, oidc_provider: LocalProvider, marie: Any):
    callbacks: list[str] = []
    page.on("request", lambda r: callbacks.append(r.url) if "/oidc/callback/" in r.url else None)
    consent(page, oidc_provider)
    assert User.objects.count() == 1
    page.goto(callbacks[0])
    assert "a déjà servi" in page.locator("main .lead").inner_text()
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("wrong_nonce", "ne correspond pas à votre demande"),
        ("expired", "a expiré"),
    ],
)
def test_a_token_failing_its_check_signs_nobody_in(
    page: Any, oidc_provider: LocalProvider, marie: Any, fault: str, message: str
):
    oidc_provider.fault = fault
    consent(page, oidc_provider)
    assert message in page.locator("main .lead").inner_text()
    assert no_account()
    assert page.get_by_role("link", name="Se connecter").count() >= 1
