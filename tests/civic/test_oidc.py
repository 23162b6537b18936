"""The OpenID Connect sign-in against a real provider (tests/oidc_provider.py), driven with Django's
test client: every outcome, every refusal, and nothing written when a sign-in fails."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core import checks
from django.test import Client

from civic.models import AuditEntry, DeskRequest, OidcIdentity, User, VerificationMethod
from civic.oidc.checks import check_oidc_settings
from civic.services.verification import resident_verify_at_desk
from tests.factories import RegisterEntryFactory, StaffFactory, UserFactory
from tests.oidc_provider import MARIE, LocalProvider

pytestmark = pytest.mark.django_db


def marie_entry(**overrides: object) -> object:
    values = {"last_name": "DUPONT", "first_names": "Marie-Hélène", "birth_date": date(1984, 3, 12)}
    return RegisterEntryFactory(**{**values, **overrides})


def sign_in(client: Client, provider: LocalProvider, *, decision: str = "accept") -> object:
    """The browser's round trip: start here, consent at the provider, come back with its answer."""
    start = client.get("/oidc/authenticate/")
    assert start.status_code == 302, start.content
    authorize = start["Location"]
    assert authorize.startswith(provider.issuer + "/authorize?")
    page = requests.get(authorize, timeout=5)
    interaction = page.text.split('name="interaction" value="')[1].split('"')[0]
    answer = requests.post(
        provider.issuer + "/authorize/decision",
        data={"interaction": interaction, "decision": decision},
        allow_redirects=False,
        timeout=5,
    )
    back = urlsplit(answer.headers["Location"])
    return client.get(back.path, parse_qs(back.query))


def nothing_written() -> bool:
    return not (
        User.objects.exists() or OidcIdentity.objects.exists() or DeskRequest.objects.exists()
    )


def test_the_authorisation_request_carries_state_nonce_and_acr(oidc_provider: LocalProvider):
    response = Client().get("/oidc/authenticate/")
    query = parse_qs(urlsplit(response["Location"]).query)
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert query["acr_values"] == ["eidas1"]
    assert "birthdate" in query["scope"][0] and "openid" in query["scope"][0]


def test_a_match_opens_a_verified_account_audited_with_the_method(oidc_provider: LocalProvider):
    entry = marie_entry()
    client = Client()
    response = sign_in(client, oidc_provider)
    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get(email=MARIE["email"])
    assert user.register_entry_id == entry.pk
    assert user.verification_method == VerificationMethod.OIDC
    assert not user.has_usable_password()
    assert OidcIdentity.objects.get(user=user).subject == MARIE["sub"]
    audit = AuditEntry.objects.get(verb="resident.verify.oidc")
    assert audit.after == {"register_entry": entry.pk, "method": "oidc"}
    assert client.get("/me/data/").status_code == 200  # signed in


def test_the_same_person_signs_in_again_to_the_same_account(oidc_provider: LocalProvider):
    marie_entry()
    sign_in(Client(), oidc_provider)
    client = Client()
    response = sign_in(client, oidc_provider)
    assert response.status_code == 302
    assert User.objects.count() == 1 and OidcIdentity.objects.count() == 1
    assert client.session["_auth_user_id"] == str(User.objects.get().pk)


def test_a_signed_in_account_is_verified_through_the_provider(oidc_provider: LocalProvider):
    entry = marie_entry()
    account = UserFactory(email="marie@autre.example.org")
    client = Client()
    client.force_login(account)
    response = sign_in(client, oidc_provider)
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.register_entry_id == entry.pk
    assert User.objects.count() == 1  # no second account


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ({"first_names": "Marie"}, "first_names_partial"),
        ({"first_names": "Marie Claire"}, "first_names_differ"),
        ({"last_name": "Martin"}, "family_name_differs"),
        ({"active": False}, "struck_off"),
    ],
)
def test_a_near_miss_goes_to_the_desk_queue(oidc_provider: LocalProvider, entry: dict, reason: str):
    marie_entry(**entry)
    response = sign_in(Client(), oidc_provider)
    assert response.status_code == 200
    assert b'data-outcome="desk"' in response.content
    request = DeskRequest.objects.get()
    assert request.reason == reason and request.user.email == MARIE["email"]
    assert not request.user.is_verified


def test_an_entry_held_by_another_account_is_a_near_miss(oidc_provider: LocalProvider):
    entry = marie_entry()
    UserFactory(email="other@example.org", register_entry=entry, verified_at="2026-01-01T00:00Z")
    sign_in(Client(), oidc_provider)
    assert DeskRequest.objects.get().reason == "entry_claimed"


def test_the_desk_closes_the_request_when_it_verifies(oidc_provider: LocalProvider):
    entry = marie_entry(first_names="Marie")
    sign_in(Client(), oidc_provider)
    request = DeskRequest.objects.get()
    agent = StaffFactory(role="administrator")
    resident_verify_at_desk(agent=agent, user_id=request.user_id, entry_id=entry.pk)
    request.refresh_from_db()
    assert request.outcome == "verified" and request.closed_by == agent


def test_no_match_says_so_and_writes_nothing(oidc_provider: LocalProvider):
    RegisterEntryFactory()  # someone else
    response = sign_in(Client(), oidc_provider)
    assert response.status_code == 200
    assert b'data-outcome="no_match"' in response.content
    assert nothing_written()


def test_cancelled_consent_is_a_clear_page_and_writes_nothing(oidc_provider: LocalProvider):
    marie_entry()
    response = sign_in(Client(), oidc_provider, decision="deny")
    assert b'data-outcome="cancelled"' in response.content
    assert "annulé".encode() in response.content
    assert nothing_written()


def test_a_provider_error_shows_its_description(oidc_provider: LocalProvider):
    response = Client().get(
        "/oidc/callback/", {"error": "server_error", "error_description": "Panne <b>FC</b>"}
    )
    assert response.status_code == 400
    assert (
        b"server_error" in response.content and b"Panne &lt;b&gt;FC&lt;/b&gt;" in response.content
    )


def test_a_replayed_state_is_refused(oidc_provider: LocalProvider):
    marie_entry()
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
    assert client.get(back.path, parse_qs(back.query)).status_code == 302
    client.logout()
    replay = client.get(back.path, parse_qs(back.query))
    assert replay.status_code == 400 and b'data-outcome="state"' in replay.content


@pytest.mark.parametrize(
    ("fault", "outcome"),
    [
        ("wrong_nonce", "nonce"),
        ("expired", "expired"),
        ("unsigned_userinfo", "userinfo_unsigned"),
        ("bad_acr", "acr"),
    ],
)
def test_a_token_failing_a_check_signs_nobody_in(
    oidc_provider: LocalProvider, fault: str, outcome: str
):
    marie_entry()
    oidc_provider.fault = fault
    client = Client()
    response = sign_in(client, oidc_provider)
    assert response.status_code == 400
    assert f'data-outcome="{outcome}"'.encode() in response.content
    assert "_auth_user_id" not in client.session
    assert nothing_written()


@pytest.mark.parametrize("same_kid", [False, True], ids=["new_kid", "same_kid"])
def test_a_rotated_key_is_fetched_again(oidc_provider: LocalProvider, same_kid: bool):
    """A new key under a new `kid`, or replacing the old one under the same `kid`: the JWKS is
    read again exactly once and the sign-in goes through."""
    marie_entry()
    sign_in(Client(), oidc_provider)
    reads = oidc_provider.jwks_reads
    oidc_provider.rotate_key(same_kid=same_kid)
    assert sign_in(Client(), oidc_provider).status_code == 302
    assert oidc_provider.jwks_reads == reads + 1


@pytest.mark.parametrize("fault", ["forged_id_token", "forged_userinfo"])
def test_a_forged_signature_is_refused_after_the_keys_are_read_again_once(
    oidc_provider: LocalProvider, fault: str
):
    """Signed under the published `kid` by a key the provider never published: the signature
    check fails against the kept JWKS, the JWKS is read again once (a rotation would be found
    there), and the token is refused."""
    marie_entry()
    oidc_provider.fault = "wrong_nonce"  # refused after its signature checked: the JWKS is kept
    assert sign_in(Client(), oidc_provider).status_code == 400 and nothing_written()
    reads = oidc_provider.jwks_reads
    oidc_provider.fault = fault
    client = Client()
    response = sign_in(client, oidc_provider)
    assert response.status_code == 400 and b'data-outcome="signature"' in response.content
    assert oidc_provider.jwks_reads == reads + 1
    assert "_auth_user_id" not in client.session
    assert nothing_written()


def test_an_rs256_provider_works_too(settings):  # type: ignore[no-untyped-def]
    from civic.oidc import provider as kept

    rsa_provider = LocalProvider(alg="RS256").start()
    try:
        for name, value in rsa_provider.settings().items():
            setattr(settings, name, value)
        kept.forget()
        marie_entry()
        assert sign_in(Client(), rsa_provider).status_code == 302
        assert User.objects.get().is_verified
    finally:
        rsa_provider.stop()
        kept.forget()


def test_an_e_mail_already_used_writes_nothing(oidc_provider: LocalProvider):
    marie_entry()
    UserFactory(email=MARIE["email"])
    response = sign_in(Client(), oidc_provider)
    assert response.status_code == 409 and b'data-outcome="email_taken"' in response.content
    assert not OidcIdentity.objects.exists() and User.objects.count() == 1


def test_logout_ends_the_session_at_the_provider(oidc_provider: LocalProvider):
    marie_entry()
    client = Client()
    sign_in(client, oidc_provider)
    id_token = client.session["oidc_id_token"]
    response = client.post("/oidc/logout/")
    assert "_auth_user_id" not in client.session
    target = urlsplit(response["Location"])
    query = parse_qs(target.query)
    assert (
        f"{target.scheme}://{target.netloc}{target.path}" == oidc_provider.issuer + "/session/end"
    )
    assert query["id_token_hint"] == [id_token] and len(query["state"][0]) >= 32
    back = requests.get(response["Location"], allow_redirects=False, timeout=5)
    assert back.status_code == 302 and back.headers["Location"].startswith("http://testserver/?")
    assert len(oidc_provider.ended_sessions) == 1


def test_sign_in_starts_are_rate_limited(oidc_provider: LocalProvider, settings):  # type: ignore[no-untyped-def]
    settings.THROTTLE_OIDC_START = "2/hour"
    client = Client()
    assert [client.get("/oidc/authenticate/").status_code for _ in range(3)] == [302, 302, 429]


def test_sign_in_is_absent_when_disabled(settings):  # type: ignore[no-untyped-def]
    settings.OIDC_ENABLED = False
    assert Client().get("/oidc/authenticate/").status_code == 404
    assert Client().get("/oidc/callback/?code=x&state=y").status_code == 404


def test_the_login_page_offers_the_provider_and_csp_allows_its_logout(
    oidc_provider: LocalProvider,
):
    response = Client().get("/accounts/login/")
    assert "S'identifier avec FranceConnect" in response.content.decode()
    assert "Qu'est-ce que FranceConnect" in response.content.decode()
    assert f"form-action 'self' {oidc_provider.issuer}" in response["Content-Security-Policy"]


def test_the_deploy_check_warns_without_https(oidc_provider: LocalProvider, settings):  # type: ignore[no-untyped-def]
    settings.SITE_URL = "http://participation.example.org"
    found = check_oidc_settings()
    assert [m.id for m in found] == ["civic.W070"] and isinstance(found[0], checks.Warning)
    settings.SITE_URL = "https://participation.example.org"
    settings.OIDC_ISSUER = "https://oidc.franceconnect.gouv.fr/api/v2"
    assert check_oidc_settings() == []


def test_the_usage_name_matches_when_the_birth_name_does_not(oidc_provider: LocalProvider):
    entry = marie_entry(last_name="Durand-Dupont")
    oidc_provider.identity = {**MARIE, "preferred_username": "Durand Dupont"}
    assert sign_in(Client(), oidc_provider).status_code == 302
    assert User.objects.get().register_entry_id == entry.pk


def test_homonyms_born_the_same_day_go_to_the_desk(oidc_provider: LocalProvider):
    marie_entry()
    marie_entry()
    sign_in(Client(), oidc_provider)
    assert DeskRequest.objects.get().reason == "ambiguous"
    assert not User.objects.get().is_verified


def test_claims_without_a_birth_date_are_refused_and_write_nothing(oidc_provider: LocalProvider):
    marie_entry()
    oidc_provider.identity = {**MARIE, "birthdate": ""}
    response = sign_in(Client(), oidc_provider)
    assert response.status_code == 400 and b'data-outcome="claims_incomplete"' in response.content
    assert nothing_written()


def test_an_identity_bound_to_another_account_is_refused(oidc_provider: LocalProvider):
    marie_entry()
    sign_in(Client(), oidc_provider)
    intruder = UserFactory(email="intruder@example.org")
    client = Client()
    client.force_login(intruder)
    response = sign_in(client, oidc_provider)
    assert response.status_code == 409 and b'data-outcome="identity_bound"' in response.content
    intruder.refresh_from_db()
    assert not intruder.is_verified


def test_the_pages_speak_english_to_an_english_browser(oidc_provider: LocalProvider):
    client = Client(headers={"accept-language": "en"})
    response = sign_in(client, oidc_provider, decision="deny")
    assert "You cancelled signing in with FranceConnect" in response.content.decode()
    assert "Sign in with FranceConnect" in client.get("/en/accounts/login/").content.decode()


def test_the_desk_page_lists_the_open_requests(oidc_provider: LocalProvider):
    marie_entry(first_names="Marie")
    sign_in(Client(), oidc_provider)
    desk = Client()
    desk.force_login(StaffFactory(role="moderator"))
    page = desk.get("/staff/verify/").content.decode()
    assert MARIE["email"] in page and "Prénoms incomplets au registre" in page


def test_the_verification_page_offers_the_provider(oidc_provider: LocalProvider):
    client = Client()
    client.force_login(UserFactory())
    assert "/oidc/authenticate/" in client.get("/me/verify/").content.decode()


@pytest.mark.parametrize("alg", ["HS256", "none"])
def test_a_token_not_signed_by_the_provider_s_keys_is_refused(
    oidc_provider: LocalProvider, alg: str
):
    import jwt

    from civic.oidc.provider import TokenRejected, decode

    claims = {"iss": oidc_provider.issuer, "aud": "civic-test-client", "sub": "x", "exp": 2**33}
    key = "civic-test-secret-0123456789abcdef" if alg == "HS256" else None
    token = jwt.encode(claims, key, algorithm=alg)
    with pytest.raises(TokenRejected) as refused:
        decode(token, require=["sub"])
    assert refused.value.code == "algorithm"


def test_an_unreachable_provider_is_a_clear_page(oidc_provider: LocalProvider, settings):  # type: ignore[no-untyped-def]
    oidc_provider.stop()
    response = Client().get("/oidc/authenticate/")
    assert response.status_code == 502
    assert b'data-outcome="provider_unavailable"' in response.content
    oidc_provider.stop = lambda: None  # type: ignore[method-assign]
