"""Staff single sign-on (ProConnect-shaped) against the real local provider's second client
(tests/oidc_provider.py): an administrator's authorisation first, the subject bound at the first
login (audited), the toolkit's second factor still asked unless the provider asserts a listed
multi-factor login; no account and no role ever created by the provider."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from civic.errors import Conflict, PermissionDenied
from civic.models import AuditEntry, OidcBindMethod, OidcIdentity, User, VerificationMethod
from civic.oidc.checks import check_oidc_settings
from civic.roles import Role, has_role
from civic.services.staff_sso import staff_sso_authorise, staff_sso_revoke
from tests.factories import RegisterEntryFactory, StaffFactory, UserFactory, totp_code
from tests.oidc_provider import AGENT, LocalProvider

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_sso(oidc_provider: LocalProvider, settings: Any) -> LocalProvider:
    """The local provider, enabled as the staff single sign-on (its second client)."""
    for name, value in oidc_provider.staff_settings().items():
        setattr(settings, name, value)
    oidc_provider.identity = dict(AGENT)
    return oidc_provider


@pytest.fixture
def agent(staff_sso: LocalProvider) -> User:
    return StaffFactory(role=Role.MODERATOR, email=AGENT["email"])


def authorise(user: User, provider: LocalProvider) -> OidcIdentity:
    return staff_sso_authorise(
        admin=StaffFactory(role=Role.ADMINISTRATOR), user_id=user.pk, issuer=provider.issuer
    )


def round_trip(client: Client, provider: LocalProvider, *, decision: str = "accept") -> Any:
    """Start the staff sign-in, consent at the provider; returns the callback's query."""
    start = client.get("/oidc/staff/authenticate/")
    assert start.status_code == 302, start.content
    assert start["Location"].startswith(provider.issuer + "/authorize?")
    page = requests.get(start["Location"], timeout=5)
    interaction = page.text.split('name="interaction" value="')[1].split('"')[0]
    answer = requests.post(
        provider.issuer + "/authorize/decision",
        data={"interaction": interaction, "decision": decision},
        allow_redirects=False,
        timeout=5,
    )
    back = urlsplit(answer.headers["Location"])
    assert back.path == "/oidc/staff/callback/"
    return back.path, parse_qs(back.query)


def sso(client: Client, provider: LocalProvider, **kwargs: Any) -> Any:
    path, query = round_trip(client, provider, **kwargs)
    return client.get(path, query)


def signed_in_as(client: Client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def test_the_link_shows_on_the_login_page_only_when_configured(settings: Any, staff_sso):
    assert "Se connecter avec ProConnect" in Client().get("/accounts/login/").content.decode()
    settings.STAFF_OIDC_PROVIDER_NAME = "AgentConnect"
    assert "Se connecter avec AgentConnect" in Client().get("/accounts/login/").content.decode()
    settings.STAFF_OIDC_ENABLED = False
    assert "Se connecter avec" not in Client().get("/accounts/login/").content.decode()
    assert Client().get("/oidc/staff/authenticate/").status_code == 404
    assert Client().get("/oidc/staff/callback/", {"state": "x", "code": "y"}).status_code == 404


def test_the_staff_request_uses_the_staff_client_and_its_acr(staff_sso: LocalProvider):
    response = Client().get("/oidc/staff/authenticate/")
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["client_id"] == ["civic-test-staff-client"]
    assert query["redirect_uri"] == ["http://testserver/oidc/staff/callback/"]
    assert query["acr_values"] == ["eidas1"] and len(query["nonce"][0]) >= 32


def test_first_login_binds_the_subject_then_asks_the_second_factor(staff_sso, agent):
    authorise(agent, staff_sso)
    client = Client()
    response = sso(client, staff_sso)
    # The provider's login alone opens no session: allauth's second-factor step comes first.
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_authenticate"))
    assert signed_in_as(client) is None
    bond = OidcIdentity.objects.get(user=agent)
    assert bond.subject == AGENT["sub"] and bond.method == OidcBindMethod.STAFF
    assert bond.bound_at is not None
    assert AuditEntry.objects.filter(verb="staff.sso.bind", target_id=str(agent.pk)).count() == 1

    done = client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert done.status_code == 302
    assert signed_in_as(client) == agent.pk
    assert client.get("/staff/").status_code == 200
    # No role was granted by the provider: the agent holds the one given in the toolkit.
    assert [g.name for g in agent.groups.all()] == [Role.MODERATOR]


def test_a_wrong_code_after_the_provider_leaves_the_session_closed(staff_sso, agent):
    authorise(agent, staff_sso)
    client = Client()
    sso(client, staff_sso)
    client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert signed_in_as(client) is None
    assert client.get("/staff/").status_code == 302


def test_a_multi_factor_login_asserted_by_the_provider_skips_the_code(
    staff_sso: LocalProvider, agent: User, settings: Any
):
    settings.STAFF_OIDC_MFA_AMR = ["mfa"]
    authorise(agent, staff_sso)
    staff_sso.amr = ["pwd", "mfa"]
    client = Client()
    response = sso(client, staff_sso)
    assert response.status_code == 302 and response["Location"] == "/staff/"
    assert signed_in_as(client) == agent.pk
    assert client.get("/staff/").status_code == 200


def test_an_acr_not_listed_as_multi_factor_still_asks_the_code(staff_sso, agent, settings: Any):
    settings.STAFF_OIDC_MFA_ACR = ["eidas2"]
    settings.STAFF_OIDC_MFA_AMR = ["mfa"]
    authorise(agent, staff_sso)
    staff_sso.amr = ["pwd"]  # eidas1, a password: not a multi-factor login
    client = Client()
    response = sso(client, staff_sso)
    assert response["Location"].startswith(reverse("mfa_authenticate"))
    assert signed_in_as(client) is None


def test_later_logins_follow_the_subject_not_the_email(staff_sso, agent, settings: Any):
    settings.STAFF_OIDC_MFA_AMR = ["mfa"]
    staff_sso.amr = ["mfa"]
    authorise(agent, staff_sso)
    sso(Client(), staff_sso)
    # The provider now sends another e-mail for the same person: the same account opens.
    staff_sso.identity = {**AGENT, "email": "renamed@example.org"}
    client = Client()
    sso(client, staff_sso)
    assert signed_in_as(client) == agent.pk
    # Another person claiming the agent's e-mail with another subject gets nothing.
    staff_sso.identity = {**AGENT, "sub": "pc-somebody-else"}
    intruder = Client()
    response = sso(intruder, staff_sso)
    assert response.status_code == 403 and b'data-outcome="unknown_person"' in response.content
    assert signed_in_as(intruder) is None


def test_an_unknown_person_gets_a_clear_page_and_no_account(staff_sso: LocalProvider):
    staff_sso.identity = {**AGENT, "sub": "pc-unknown", "email": "stranger@example.org"}
    client = Client()
    response = sso(client, staff_sso)
    assert response.status_code == 403
    assert b'data-outcome="unknown_person"' in response.content
    assert "Aucun compte du personnel" in response.content.decode()
    assert not User.objects.exists() and not OidcIdentity.objects.exists()
    assert signed_in_as(client) is None


def test_a_staff_account_not_authorised_by_an_administrator_is_not_bound(staff_sso, agent):
    client = Client()
    response = sso(client, staff_sso)
    assert response.status_code == 403 and b'data-outcome="unknown_person"' in response.content
    assert not OidcIdentity.objects.exists() and signed_in_as(client) is None


def test_an_unverified_email_does_not_bind(staff_sso, agent):
    authorise(agent, staff_sso)
    staff_sso.identity = {**AGENT, "email_verified": False}
    response = sso(Client(), staff_sso)
    assert response.status_code == 403
    assert OidcIdentity.objects.get(user=agent).subject == ""


def test_a_resident_account_trying_staff_sign_on_is_refused(staff_sso: LocalProvider):
    resident = UserFactory(email=AGENT["email"])
    client = Client()
    response = sso(client, staff_sso)
    assert response.status_code == 403 and b'data-outcome="not_staff"' in response.content
    assert not OidcIdentity.objects.filter(user=resident).exists()
    assert signed_in_as(client) is None
    # Nor can an administrator authorise a resident account.
    with pytest.raises(Conflict):
        authorise(resident, staff_sso)


def test_an_account_that_lost_its_staff_status_is_refused(staff_sso, agent, settings: Any):
    settings.STAFF_OIDC_MFA_AMR = ["mfa"]
    staff_sso.amr = ["mfa"]
    authorise(agent, staff_sso)
    sso(Client(), staff_sso)
    User.objects.filter(pk=agent.pk).update(is_staff=False)
    client = Client()
    response = sso(client, staff_sso)
    assert response.status_code == 403 and b'data-outcome="not_staff"' in response.content
    assert signed_in_as(client) is None


def test_only_an_administrator_authorises_and_it_is_audited(staff_sso, agent):
    with pytest.raises(PermissionDenied):
        staff_sso_authorise(
            admin=StaffFactory(role=Role.MODERATOR), user_id=agent.pk, issuer=staff_sso.issuer
        )
    bond = authorise(agent, staff_sso)
    assert bond.subject == "" and bond.authorised_by is not None
    assert has_role(bond.authorised_by, Role.ADMINISTRATOR)
    assert AuditEntry.objects.filter(verb="staff.sso.authorise").count() == 1
    with pytest.raises(Conflict):
        authorise(agent, staff_sso)


def test_a_replayed_state_is_refused(staff_sso: LocalProvider, agent: User, settings: Any):
    settings.STAFF_OIDC_MFA_AMR = ["mfa"]
    staff_sso.amr = ["mfa"]
    authorise(agent, staff_sso)
    client = Client()
    path, query = round_trip(client, staff_sso)
    assert client.get(path, query).status_code == 302
    client.logout()
    replay = client.get(path, query)
    assert replay.status_code == 400 and b'data-outcome="state"' in replay.content
    assert signed_in_as(client) is None


def test_a_residents_state_never_serves_at_the_staff_callback(staff_sso, agent):
    authorise(agent, staff_sso)
    client = Client()
    start = client.get("/oidc/authenticate/")  # the residents' flow
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    response = client.get("/oidc/staff/callback/", {"state": state, "code": "anything"})
    assert response.status_code == 400 and b'data-outcome="state"' in response.content


def test_a_cancelled_consent_says_so(staff_sso: LocalProvider, agent: User):
    response = sso(Client(), staff_sso, decision="deny")
    assert b'data-outcome="cancelled"' in response.content
    assert "ProConnect" in response.content.decode()


def test_logout_ends_the_session_at_the_staff_provider(staff_sso, agent, settings: Any):
    settings.STAFF_OIDC_MFA_AMR = ["mfa"]
    staff_sso.amr = ["mfa"]
    authorise(agent, staff_sso)
    client = Client()
    sso(client, staff_sso)
    id_token = client.session["oidc_id_token"]
    assert "/oidc/logout/" in client.get("/").content.decode()
    response = client.post("/oidc/logout/")
    assert signed_in_as(client) is None
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == staff_sso.issuer + "/session/end"
    assert parse_qs(target.query)["id_token_hint"] == [id_token]
    back = requests.get(response["Location"], allow_redirects=False, timeout=5)
    assert back.status_code == 302 and len(staff_sso.ended_sessions) == 1


def test_a_staff_account_bound_to_the_residents_provider_still_gives_its_second_factor(
    oidc_provider: LocalProvider,
):
    """A staff member who also bound FranceConnect cannot skip the code through that button."""
    staff = StaffFactory(
        role=Role.MODERATOR,
        register_entry=RegisterEntryFactory(),
        verified_at=timezone.now(),
        verification_method=VerificationMethod.MATCH,
    )
    OidcIdentity.objects.create(
        user=staff,
        issuer=oidc_provider.issuer,
        subject=oidc_provider.identity["sub"],
        method=OidcBindMethod.ACCOUNT,
    )
    client = Client()
    start = client.get("/oidc/authenticate/")
    page = requests.get(start["Location"], timeout=5)
    interaction = page.text.split('name="interaction" value="')[1].split('"')[0]
    answer = requests.post(
        oidc_provider.issuer + "/authorize/decision",
        data={"interaction": interaction, "decision": "accept"},
        allow_redirects=False,
        timeout=5,
    )
    back = urlsplit(answer.headers["Location"])
    response = client.get(back.path, parse_qs(back.query))
    assert response["Location"].startswith(reverse("mfa_authenticate"))
    assert signed_in_as(client) is None


def test_the_deploy_check_warns_for_a_staff_provider_without_https(staff_sso, settings: Any):
    settings.OIDC_ENABLED = False
    settings.SITE_URL = "https://participation.example.org"
    found = check_oidc_settings()
    assert [m.id for m in found] == ["civic.W070"] and "STAFF_OIDC_ISSUER" in found[0].msg
    settings.STAFF_OIDC_ISSUER = "https://auth.agentconnect.gouv.fr/api/v2"
    assert check_oidc_settings() == []


def test_the_csp_lets_the_logout_form_reach_the_staff_provider(staff_sso, settings: Any):
    settings.OIDC_ENABLED = False
    response = Client().get("/accounts/login/")
    assert f"form-action 'self' {staff_sso.issuer}" in response["Content-Security-Policy"]


def test_an_administrator_revokes_the_sign_on_and_the_next_login_is_refused(
    staff_sso: LocalProvider, agent: User, settings: Any
):
    settings.STAFF_OIDC_MFA_AMR = ["mfa"]
    staff_sso.amr = ["mfa"]
    admin = StaffFactory(role=Role.ADMINISTRATOR)
    staff_sso_authorise(admin=admin, user_id=agent.pk, issuer=staff_sso.issuer)
    sso(Client(), staff_sso)
    with pytest.raises(PermissionDenied):
        staff_sso_revoke(admin=agent, user_id=agent.pk, issuer=staff_sso.issuer)
    assert staff_sso_revoke(admin=admin, user_id=agent.pk, issuer=staff_sso.issuer) is True
    assert AuditEntry.objects.filter(verb="staff.sso.revoke").count() == 1
    client = Client()
    response = sso(client, staff_sso)
    assert response.status_code == 403 and signed_in_as(client) is None
    assert staff_sso_revoke(admin=admin, user_id=agent.pk, issuer=staff_sso.issuer) is False
