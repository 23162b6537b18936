"""API tokens: a digest in the database, shown once, expiring, revoked by their owner, by a password
change or a deactivation; no staff role, admin page or log reaches a usable token. The API login
shares the web login's lockout."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import NoReverseMatch, reverse
from rest_framework.test import APIClient

from civic.models import ApiToken, User
from civic.roles import Role
from tests.factories import ResidentFactory, StaffFactory, UserFactory, api_key_for

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def works(token: str) -> bool:
    return bearer(token).get("/api/v1/me/").status_code == 200


def token_id(token: str) -> int:
    return int(token.split("_")[1])


def obtain(email: str, password: str = PASSWORD, addr: str = "10.3.0.1"):  # type: ignore[no-untyped-def]
    return APIClient(REMOTE_ADDR=addr).post(
        "/api/v1/auth/token/", {"email": email, "password": password}
    )


# --- stored as a digest, shown once -----------------------------------------------------------


def test_the_database_keeps_only_the_digest_of_a_token_it_issues():
    user = UserFactory(email="ana@example.org")
    response = obtain("ana@example.org")
    assert response.status_code == 200
    token = response.json()["token"]
    prefix, number, secret = token.split("_", 2)
    assert prefix == "civ" and int(number) == response.json()["id"] and len(secret) >= 40
    row = ApiToken.objects.get(pk=int(number))
    assert row.user == user and row.digest == hashlib.sha256(secret.encode()).hexdigest()
    # Nowhere in the table's rows, as a dump or a staff query would read them.
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(t)::text FROM civic_apitoken t")
        dump = " ".join(text for (text,) in cursor.fetchall())
    assert secret not in dump and token not in dump
    assert works(token)


def test_each_login_issues_a_new_token_and_the_answer_is_the_only_copy():
    UserFactory(email="ana@example.org")
    first, second = obtain("ana@example.org").json(), obtain("ana@example.org").json()
    assert first["token"] != second["token"] and first["id"] != second["id"]
    listed = bearer(first["token"]).get("/api/v1/auth/tokens/").json()
    assert {row["id"] for row in listed} == {first["id"], second["id"]}
    assert first["token"] not in str(listed) and "digest" not in str(listed)


def test_drf_s_clear_token_table_is_gone():
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('authtoken_token')")
        assert cursor.fetchone() == (None,)


@pytest.mark.parametrize(
    "forged",
    [
        "civ_{id}_" + "A" * 43,  # the right id, a wrong secret
        "civ_{id}_{secret}x",
        "civ_{other}_{secret}",  # the secret under another token's id
        "{secret}",
        "civ__{secret}",
    ],
)
def test_a_forged_or_altered_token_is_refused(forged):
    token = api_key_for(ResidentFactory())
    other = api_key_for(ResidentFactory())
    _prefix, number, secret = token.split("_", 2)
    attempt = forged.format(id=number, secret=secret, other=token_id(other))
    response = bearer(attempt).get("/api/v1/me/")
    assert response.status_code == 403 and response.json()["code"] == "authentication_failed"


# --- expiry and last use -----------------------------------------------------------------------


def test_a_token_expires_after_the_configured_number_of_days(freeze, settings):
    settings.API_TOKEN_TTL_DAYS = 30
    clock = freeze("2026-03-02 10:00")
    token = api_key_for(ResidentFactory())
    clock.shift(timedelta(days=29, hours=23))
    assert works(token)
    clock.shift(timedelta(hours=2))
    refused = bearer(token).get("/api/v1/me/")
    assert refused.status_code == 403 and refused.json()["code"] == "authentication_failed"
    assert bearer(token).get("/api/v1/auth/tokens/").status_code == 403


def test_the_last_use_of_a_token_is_stamped_and_shown_to_its_owner():
    token = api_key_for(ResidentFactory())
    assert ApiToken.objects.get(pk=token_id(token)).last_used_at is None
    listed = bearer(token).get("/api/v1/auth/tokens/").json()
    assert ApiToken.objects.get(pk=token_id(token)).last_used_at is not None
    assert listed[0]["current"] is True


def test_a_wrong_secret_does_not_move_the_last_use_stamp():
    token = api_key_for(ResidentFactory())
    bearer(f"civ_{token_id(token)}_" + "B" * 43).get("/api/v1/me/")
    assert ApiToken.objects.get(pk=token_id(token)).last_used_at is None


# --- revocation by the owner -------------------------------------------------------------------


def test_the_presenting_token_revokes_itself_and_the_others_stay():
    user = ResidentFactory()
    kept, revoked = api_key_for(user), api_key_for(user)
    assert bearer(revoked).delete("/api/v1/auth/token/").status_code == 204
    assert not works(revoked) and works(kept)
    assert not ApiToken.objects.filter(pk=token_id(revoked)).exists()


def test_a_session_cannot_revoke_a_token_it_does_not_present():
    client = APIClient()
    client.force_login(ResidentFactory())
    response = client.delete("/api/v1/auth/token/")
    assert response.status_code == 400 and response.json()["code"] == "not_token_authenticated"


def test_the_owner_lists_and_revokes_a_token_by_its_id():
    user = ResidentFactory()
    main, spare = api_key_for(user), api_key_for(user)
    client = bearer(main)
    ids = [row["id"] for row in client.get("/api/v1/auth/tokens/").json()]
    assert ids == [token_id(spare), token_id(main)]  # newest first
    assert client.delete(f"/api/v1/auth/tokens/{token_id(spare)}/").status_code == 204
    assert not works(spare) and works(main)
    assert [row["id"] for row in client.get("/api/v1/auth/tokens/").json()] == [token_id(main)]


def test_nobody_lists_or_revokes_someone_else_s_token():
    victim, attacker = api_key_for(ResidentFactory()), api_key_for(ResidentFactory())
    client = bearer(attacker)
    assert token_id(victim) not in [r["id"] for r in client.get("/api/v1/auth/tokens/").json()]
    refused = client.delete(f"/api/v1/auth/tokens/{token_id(victim)}/")
    missing = client.delete("/api/v1/auth/tokens/999999999/")
    assert refused.status_code == missing.status_code == 404
    assert refused.json() == missing.json()
    assert works(victim)


def test_anonymous_clients_reach_no_token_endpoint():
    api = APIClient()
    assert api.get("/api/v1/auth/tokens/").status_code in (401, 403)
    assert api.delete("/api/v1/auth/token/").status_code in (401, 403)
    assert api.delete("/api/v1/auth/tokens/1/").status_code in (401, 403)


# --- password change and deactivation, whatever the path ---------------------------------------


def test_a_password_change_through_the_model_revokes_every_token():
    user = ResidentFactory()
    tokens = [api_key_for(user), api_key_for(user)]
    other = api_key_for(ResidentFactory())
    user.set_password("a brand new passphrase")
    user.save()
    assert not any(works(t) for t in tokens)
    assert works(other)


def test_a_password_change_in_plain_sql_revokes_every_token():
    user = ResidentFactory()
    token = api_key_for(user)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE civic_user SET password = 'x' WHERE id = %s", [user.pk])
    assert not works(token)
    assert not ApiToken.objects.filter(user=user).exists()


def test_a_password_change_on_the_web_revokes_every_token():
    user = UserFactory(email="web@example.org")
    token = api_key_for(user)
    client = Client()
    client.force_login(user)
    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "Another-Pass-2026!",
            "password2": "Another-Pass-2026!",
        },
    )
    assert response.status_code == 302, response.content[:500]
    assert not works(token)


def test_deactivating_an_account_revokes_its_tokens_and_reactivating_does_not_bring_them_back():
    user = ResidentFactory()
    token = api_key_for(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert not ApiToken.objects.filter(user=user).exists()
    User.objects.filter(pk=user.pk).update(is_active=True)
    assert not works(token)


def test_an_unrelated_change_to_the_account_keeps_its_tokens():
    user = ResidentFactory()
    token = api_key_for(user)
    User.objects.filter(pk=user.pk).update(display_name="Ana", last_login=user.date_joined)
    user.refresh_from_db()
    user.save()  # every column written again, password and is_active unchanged
    assert works(token)


# --- no staff role, admin page or log reaches a token -----------------------------------------


def test_the_auditor_reads_no_token_anywhere_in_the_admin(caplog):
    secret_token = api_key_for(ResidentFactory())
    secret = secret_token.split("_", 2)[2]
    digest = ApiToken.objects.get(pk=token_id(secret_token)).digest
    auditor = StaffFactory(role=Role.AUDITOR)
    client = Client()
    client.force_login(auditor)
    pages = [reverse("admin:index")]
    for model in admin.site._registry:
        try:
            pages.append(
                reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            )
        except NoReverseMatch:
            continue
    seen = 0
    for url in pages:
        response = client.get(url)
        if response.status_code == 200:
            seen += 1
            body = response.content.decode()
            assert secret not in body and digest not in body, url
    assert seen > 5  # the auditor does read the admin: only tokens are out of reach
    assert ApiToken not in admin.site._registry
    assert not any(m._meta.app_label == "authtoken" for m in admin.site._registry)
    assert client.get("/admin/authtoken/tokenproxy/").status_code == 404
    assert client.get("/admin/civic/apitoken/").status_code == 404
    assert not any(p.content_type.app_label == "authtoken" for p in auditor.user_permissions.all())
    assert not [
        perm
        for perm in auditor.get_all_permissions()
        if "token" in perm and not perm.startswith("referendums.")
    ]
    assert secret not in caplog.text


def test_the_auditor_s_api_token_list_shows_only_their_own():
    resident_token = api_key_for(ResidentFactory())
    auditor_token = api_key_for(StaffFactory(role=Role.AUDITOR))
    listed = bearer(auditor_token).get("/api/v1/auth/tokens/").json()
    assert [row["id"] for row in listed] == [token_id(auditor_token)]
    assert resident_token.split("_", 2)[2] not in str(listed)


def test_issuing_and_using_a_token_writes_no_secret_to_the_logs_or_the_audit_chain(caplog):
    from civic.models import AuditEntry

    UserFactory(email="ana@example.org")
    caplog.set_level("DEBUG")
    token = obtain("ana@example.org").json()["token"]
    bearer(token).get("/api/v1/me/")
    bearer(token).delete("/api/v1/auth/token/")
    secret = token.split("_", 2)[2]
    assert secret not in caplog.text
    audit = " ".join(str(e.after) + str(e.before) for e in AuditEntry.objects.all())
    assert secret not in audit
    assert AuditEntry.objects.filter(verb="api_token.created").exists()
    assert AuditEntry.objects.filter(verb="api_token.revoked").exists()


# --- the API login shares the web login's lockout ----------------------------------------------


def _web_login(email: str, password: str, addr: str) -> bool:
    """True when the web form refused because the account is locked."""
    response = Client().post(
        reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=addr
    )
    form = response.context["form"] if response.context else None
    return bool(form is not None and form.has_error("__all__", "too_many_login_attempts"))


def test_after_the_web_lockout_the_api_login_is_refused_too():
    cache.clear()
    UserFactory(email="target@example.org")
    for i in range(5):
        _web_login("target@example.org", f"guess {i}", f"10.4.0.{i}")
    assert _web_login("target@example.org", f"guess {9}", "10.4.0.9")
    refused = obtain("target@example.org", PASSWORD, addr="10.5.0.1")  # the right password
    assert refused.status_code == 429
    assert refused.json()["code"] == "too_many_login_attempts"
    assert "token" not in refused.json()


def test_failed_api_logins_count_towards_the_web_lockout():
    cache.clear()
    UserFactory(email="target@example.org")
    UserFactory(email="other@example.org")
    codes = [
        obtain("target@example.org", f"guess {i}", addr=f"10.6.0.{i}").status_code for i in range(5)
    ]
    assert codes == [400] * 5
    assert obtain("target@example.org", addr="10.6.0.50").status_code == 429
    assert _web_login("target@example.org", PASSWORD, "10.6.0.60")
    assert obtain("other@example.org", addr="10.6.0.70").status_code == 200


def test_a_successful_api_login_does_not_spend_the_budget():
    cache.clear()
    UserFactory(email="ana@example.org")
    assert all(obtain("ana@example.org", addr=f"10.7.0.{i}").status_code == 200 for i in range(7))


# --- deploy check ------------------------------------------------------------------------------


def test_the_deploy_check_warns_about_a_long_token_lifetime(settings):
    from civic.accounts_checks import check_account_settings

    settings.API_TOKEN_TTL_DAYS = 30
    assert check_account_settings() == []
    settings.API_TOKEN_TTL_DAYS = 365
    assert [m.id for m in check_account_settings()] == ["civic.W030"]
    settings.THROTTLE_VERIFICATION = "ten a day"
    assert "civic.W031" in [m.id for m in check_account_settings()]
