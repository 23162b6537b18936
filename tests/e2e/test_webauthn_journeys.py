"""A staff member enrols a security key and logs in with it, in a real browser: Chromium's virtual
authenticator (CTAP2, user verification on) answers WebAuthn's calls through the DevTools protocol,
so allauth's own pages and scripts run unchanged against the live server."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator

from civic.roles import Role
from tests.e2e.pages import HOME, submit
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct horse battery"  # tests/factories.py UserFactory


@pytest.fixture
def moderator(live_server: Any) -> Any:
    user = StaffFactory(role=Role.MODERATOR, email="agent@example.org", second_factor=False)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def with_security_key(page: Any, *, transport: str) -> str:
    """A virtual CTAP2 authenticator attached to the page's browser; returns its id."""
    session = page.context.new_cdp_session(page)
    session.send("WebAuthn.enable", {"enableUI": False})
    answer = session.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": transport,
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    page._civic_cdp = session  # kept alive with the page
    return str(answer["authenticatorId"])


def password_step(page: Any, email: str) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    submit(page)
    page.wait_for_load_state()


def enrol_key(page: Any) -> None:
    page.goto("/accounts/2fa/webauthn/add/")
    # allauth asks for the password again before a factor is added (a login does not count).
    assert "/accounts/reauthenticate/" in page.url
    page.locator("input[name=password]").fill(PASSWORD)
    submit(page)
    page.wait_for_url(lambda url: urlsplit(url).path == "/accounts/2fa/webauthn/add/")
    page.locator("input[name=name]").fill("Clé du guichet")
    page.locator("#mfa_webauthn_add").click()
    # Wait for the answer to the key's form, by path: a pattern searched in the whole address also
    # matched the add page itself (and the reauthentication's `next`), so it returned at once and a
    # loaded machine read the database before the key was saved.
    page.wait_for_url(
        lambda url: (
            (path := urlsplit(url).path).startswith("/accounts/2fa/")
            and path != "/accounts/2fa/webauthn/add/"
        )
    )
    page.wait_for_load_state()


@pytest.mark.parametrize("transport", ["usb", "internal"])
def test_a_staff_member_enrols_a_security_key_then_logs_in_with_it(
    new_context: Any, moderator: Any, transport: str
):
    page = new_context().new_page()
    with_security_key(page, transport=transport)
    password_step(page, moderator.email)
    page.wait_for_url(HOME)
    # No second factor yet: the staff pages send the agent to enrolment.
    page.goto("/staff/")
    assert "/accounts/2fa/" in page.url

    enrol_key(page)
    assert (
        Authenticator.objects.filter(user=moderator, type=Authenticator.Type.WEBAUTHN).count() == 1
    )
    page.goto("/staff/")
    assert page.url.endswith("/staff/")
    assert page.get_by_role("heading", level=1).count() == 1

    # Log out, log in again: the second step asks for the key, and the key opens the session.
    page.context.clear_cookies()
    password_step(page, moderator.email)
    assert "/accounts/2fa/authenticate/" in page.url
    page.locator("#mfa_webauthn_authenticate").click()
    page.wait_for_url(HOME)
    page.goto("/staff/")
    assert page.url.endswith("/staff/")


def test_without_the_key_the_password_alone_opens_no_staff_page(new_context: Any, moderator: Any):
    first = new_context().new_page()
    with_security_key(first, transport="usb")
    password_step(first, moderator.email)
    enrol_key(first)
    assert Authenticator.objects.filter(user=moderator, type="webauthn").exists()

    # Another browser, the right password, no key used: the session is not open.
    other = new_context().new_page()
    password_step(other, moderator.email)
    assert "/accounts/2fa/authenticate/" in other.url
    # The staff page sends it back to the login (which resumes the pending second step).
    other.goto("/staff/")
    assert re.search(r"/accounts/(login|2fa/authenticate)/", other.url), other.url
    other.goto("/admin/")
    assert re.search(r"/(admin/login|accounts/(login|2fa/authenticate))/", other.url), other.url
