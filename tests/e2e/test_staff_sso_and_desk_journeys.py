"""Two staff journeys in a real browser: the staff single sign-on through the local provider's
second client (then the toolkit's second factor), and the desk closing a near-miss request without
verifying (the resident then reads why in their inbox)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from allauth.account.models import EmailAddress

from civic.models import DeskRequest, OidcIdentity, User
from civic.roles import Role
from civic.services.staff_sso import staff_sso_authorise
from tests.factories import StaffFactory, UserFactory, totp_code
from tests.oidc_provider import AGENT, LocalProvider

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff_provider(oidc_provider: LocalProvider, settings: Any) -> LocalProvider:
    for name, value in oidc_provider.staff_settings().items():
        setattr(settings, name, value)
    oidc_provider.identity = dict(AGENT)
    return oidc_provider


def test_an_agent_logs_in_with_the_staff_provider_then_the_code(
    page: Any, staff_provider: LocalProvider, live_server: Any
):
    agent = StaffFactory(role=Role.MODERATOR, email=AGENT["email"])
    staff_sso_authorise(
        admin=StaffFactory(role=Role.ADMINISTRATOR), user_id=agent.pk, issuer=staff_provider.issuer
    )
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Se connecter avec ProConnect").click()
    page.wait_for_url(re.compile(re.escape(staff_provider.issuer) + "/authorize"))
    page.get_by_role("button", name="Continuer").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.locator("input[name=code]").fill(totp_code())
    page.locator("main form [type=submit]").first.click()
    page.wait_for_url(re.compile(r"/staff/$"))
    assert OidcIdentity.objects.get(user=agent).subject == AGENT["sub"]

    nav = page.get_by_role("navigation", name="Navigation principale")
    nav.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(re.compile(r"/\?state="))
    assert len(staff_provider.ended_sessions) == 1


def test_an_unknown_person_at_the_staff_provider_gets_a_clear_page(
    page: Any, staff_provider: LocalProvider, live_server: Any
):
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Se connecter avec ProConnect").click()
    page.get_by_role("button", name="Continuer").click()
    page.wait_for_load_state()
    assert "Aucun compte du personnel" in page.locator("main .lead").inner_text()
    assert not User.objects.exists() and not OidcIdentity.objects.exists()


def test_the_desk_closes_a_request_and_the_resident_reads_why(new_context: Any, live_server: Any):
    resident = UserFactory(email="waiting@example.org")
    EmailAddress.objects.create(user=resident, email=resident.email, verified=True, primary=True)
    DeskRequest.objects.create(user=resident, reason="first_names_differ")
    desk = new_context(user=StaffFactory(role=Role.MODERATOR)).new_page()
    desk.goto("/staff/verify/")
    desk.get_by_role("link", name=re.compile("Clore sans vérifier")).click()
    desk.get_by_role("button", name="Clore la demande").click()  # no reason: refused, kept
    assert "Choisissez le motif de la clôture." in desk.get_by_role("alert").first.inner_text()
    desk.get_by_label("Pièce d'identité non présentée").check()
    desk.get_by_label("Note au résident (facultative)").fill("Venez mardi matin.")
    desk.get_by_role("button", name="Clore la demande").click()
    desk.wait_for_url(re.compile(r"/staff/verify/$"))
    assert "Demande close" in desk.get_by_role("status").inner_text()
    assert "Aucune demande en attente." in desk.locator("main").inner_text()

    inbox = new_context(user=resident).new_page()
    inbox.goto("/me/inbox/")
    text = inbox.locator("main").inner_text()
    assert "Votre demande de vérification est close" in text
