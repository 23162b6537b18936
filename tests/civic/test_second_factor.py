"""Staff two-factor authentication (civic/second_factor.py, allauth.mfa): no staff page, admin page
or staff API before a second factor is enrolled, for every role; TOTP at login; recovery codes work
once each; residents are not asked for one."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from civic.models import User
from civic.roles import Role, has_role
from civic.staff import staff_sections
from tests.civic.test_staff_space import some_work  # noqa: F401 - a fixture
from tests.factories import (
    STAFF_TOTP_SECRET,
    RegisterEntryFactory,
    ResidentFactory,
    StaffFactory,
    UserFactory,
    enrol_second_factor,
    totp_code,
)

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"
ROLES = [*Role.values, "superuser"]


def _staff(role: str, **kwargs):  # type: ignore[no-untyped-def]
    if role == "superuser":
        return UserFactory(is_staff=True, is_superuser=True, **kwargs)
    return StaffFactory(role=role, **kwargs)


@pytest.mark.parametrize("role", ROLES)
def test_a_staff_account_without_second_factor_reaches_no_staff_page(client, role):
    user = _staff(role, second_factor=False)
    assert not has_role(user, role if role != "superuser" else Role.ADMINISTRATOR)
    client.force_login(user)
    for url in ("/staff/", "/admin/", "/initiatives/staff/", "/en/staff/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("mfa_index") + "?next="), url
    # The enrolment page itself opens.
    assert client.get(reverse("mfa_index")).status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_a_staff_account_without_second_factor_gets_a_stable_403_from_the_staff_api(role):
    api = APIClient()
    api.force_authenticate(_staff(role, second_factor=False))
    body = {"user_id": UserFactory().pk, "entry_id": RegisterEntryFactory().pk}
    for response in (
        api.post("/api/v1/staff/verifications/", body),
        api.get("/api/v1/staff/webhooks/"),
    ):
        assert response.status_code == 403
        assert response.json()["code"] == "second_factor_required"


@pytest.mark.parametrize("role", ROLES)
def test_an_enrolled_staff_account_opens_the_staff_pages(client, role):
    user = _staff(role)
    client.force_login(user)
    assert client.get("/staff/").status_code == 200
    assert client.get("/admin/").status_code == 200


def test_residents_are_not_asked_for_a_second_factor(client):
    client.force_login(ResidentFactory())
    assert client.get(reverse("my-data")).status_code == 200
    assert client.get("/staff/").status_code == 403


def _log_in(client, email: str) -> str:  # type: ignore[no-untyped-def]
    EmailAddress.objects.get_or_create(
        email=email,
        user=User.objects.get(email=email),
        defaults={"verified": True, "primary": True},
    )
    response = client.post(reverse("account_login"), {"login": email, "password": PASSWORD})
    assert response.status_code == 302
    return response["Location"]


def test_login_asks_the_totp_code_of_an_enrolled_agent(client):
    cache.clear()
    agent = StaffFactory(role=Role.MODERATOR)
    assert _log_in(client, agent.email) == reverse("mfa_authenticate")
    assert client.get("/staff/").status_code != 200  # not logged in before the code
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert client.get("/staff/").status_code == 200


def test_a_recovery_code_works_once(client):
    cache.clear()
    agent = StaffFactory(role=Role.AUDITOR, second_factor=False)
    codes = enrol_second_factor(agent)
    _log_in(client, agent.email)
    client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert client.get("/staff/").status_code == 200
    client.post(reverse("account_logout"))
    _log_in(client, agent.email)
    again = client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert again.status_code == 200 and "_auth_user_id" not in client.session
    client.post(reverse("mfa_authenticate"), {"code": codes[1]})
    assert client.get("/staff/").status_code == 200


def test_an_agent_enrols_totp_then_opens_the_staff_pages(client):
    cache.clear()
    agent = StaffFactory(role=Role.CAMPAIGN_MANAGER, second_factor=False)
    assert _log_in(client, agent.email) == reverse("home")
    assert client.get("/staff/")["Location"].startswith(reverse("mfa_index"))
    # allauth asks for the password again before a factor is added.
    assert client.get(reverse("mfa_activate_totp"))["Location"].startswith(
        reverse("account_reauthenticate")
    )
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    secret = client.session["mfa.totp.secret"]
    assert secret != STAFF_TOTP_SECRET
    client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert Authenticator.objects.filter(user=agent, type="totp").exists()
    assert Authenticator.objects.filter(user=agent, type="recovery_codes").exists()
    assert client.get("/staff/").status_code == 200


def test_the_api_token_login_asks_a_staff_account_for_its_code_too():
    """A password alone opens no staff account on the API either: the token login takes the
    factor's code (TOTP, each once; or a recovery code, each once) and gives nothing without it."""
    from civic.models import ApiToken

    cache.clear()
    agent = StaffFactory(role=Role.MODERATOR, second_factor=False)
    recovery = enrol_second_factor(agent)
    api = APIClient()
    url = "/api/v1/auth/token/"
    for body in ({}, {"code": ""}, {"code": "000000"}, {"code": "x" * 65}):
        refused = api.post(url, {"email": agent.email, "password": PASSWORD, **body}, format="json")
        assert refused.status_code == 400, body
        assert refused.json()["code"] in ("second_factor_code_invalid", "invalid"), body
    assert not ApiToken.objects.filter(user=agent).exists()
    code = totp_code()
    ok = api.post(url, {"email": agent.email, "password": PASSWORD, "code": code}, format="json")
    assert ok.status_code == 200 and ok.json()["token"].startswith("civ_")
    replay = api.post(
        url, {"email": agent.email, "password": PASSWORD, "code": code}, format="json"
    )
    assert replay.json()["code"] == "second_factor_code_invalid"
    body = {"email": agent.email, "password": PASSWORD, "code": recovery[0]}
    assert api.post(url, body, format="json").status_code == 200
    assert api.post(url, body, format="json").json()["code"] == "second_factor_code_invalid"
    assert ApiToken.objects.filter(user=agent).count() == 2
    # A resident has no factor: e-mail and password are enough.
    resident = ResidentFactory()
    plain = api.post(url, {"email": resident.email, "password": PASSWORD}, format="json")
    assert plain.status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_without_second_factor_no_task_of_the_roles_staff_home_opens(client, some_work, role):  # noqa: F811
    """Every task link the role's staff home offers once enrolled (its whole staff space, through
    `staff_sections`) that a resident may not open (not the public obligations' list nor one's own
    inbox), asked by the same account without its factor: sent to enrolment, never shown."""
    enrolled = _staff(role)
    urls = {task.url for section in staff_sections(enrolled) for task in section.tasks}
    resident = Client()
    resident.force_login(ResidentFactory())
    urls = {url for url in urls if resident.get(url).status_code == 403}
    assert urls
    Authenticator.objects.filter(user=enrolled).delete()
    client.force_login(User.objects.get(pk=enrolled.pk))
    for url in sorted(urls):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("mfa_index") + "?next="), url
