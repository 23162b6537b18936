"""Accounts, tokens and verification: 17.1 (tokens), 17.2 (verification), 17.12 (e-mail oracle,
API lockout). Every account and object here is this module's own."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from tools.redteam import Attack

if TYPE_CHECKING:
    from tools.redteam.target import Target

PASSWORD = "redteam accounts passphrase 2026"  # noqa: S105 - a seeded test account

SETUP = f"""
import json
from datetime import date
from civic.models import User
from civic.roles import Role, roles_sync
from civic.services.tokens import api_token_create
from django.contrib.auth.models import Group
from tests.factories import RegisterEntryFactory, ResidentFactory, UserFactory
from tests.petitions.factories import InitiativeFactory

roles_sync()
def account(email, **extra):
    user = User.objects.create_user(email, {PASSWORD!r}, **extra)
    from allauth.account.models import EmailAddress
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user

auditor = account("rt-acc-auditor@example.org", is_staff=True)
auditor.groups.add(Group.objects.get(name=Role.AUDITOR))
from allauth.mfa.models import Authenticator as _A; from allauth.mfa.totp.internal.auth import TOTP as _T; _A.objects.filter(user=auditor, type="totp").exists() or _T.activate(auditor, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
victim = account("rt-acc-victim@example.org")
locked = account("rt-acc-locked@example.org")
prober = account("rt-acc-prober@example.org")
account("rt-acc-known@example.org")
claimed = RegisterEntryFactory(birth_date=date(1966, 6, 6))
claimer = UserFactory()
User.objects.filter(pk=claimer.pk).update(register_entry=claimed, verified_at="2026-01-01T00:00Z", verification_method="match")
initiative = InitiativeFactory()
tokens = {{name: api_token_create(user=u)[1] for name, u in [
    ("victim", victim), ("revoker", ResidentFactory()), ("changer", ResidentFactory()),
    ("expired", ResidentFactory()), ("probe1", UserFactory()), ("probe2", UserFactory()),
    ("initiator", initiative.initiator)]}}
print(json.dumps({{"tokens": tokens, "initiative": initiative.pk, "claimed": {{
    "last_name": claimed.last_name, "first_names": claimed.first_names,
    "birth_date": claimed.birth_date.isoformat(), "roll_number": claimed.roll_number}}}}))
"""


def _facts(target: Target) -> dict[str, Any]:
    return target.facts["accounts"]


def _secret(token: str) -> str:
    return token.split("_", 2)[2]


def _no_clear_token(target: Target) -> tuple[bool, str]:
    token = _facts(target)["tokens"]["victim"]
    rows = target.sql("SELECT row_to_json(t)::text FROM civic_apitoken t")
    dump = " ".join(r[0] for r in rows)
    clear = _secret(token) in dump
    hashed = hashlib.sha256(_secret(token).encode()).hexdigest() in dump
    legacy = target.sql("SELECT to_regclass('authtoken_token')")[0][0]
    return (not clear and hashed and legacy is None), (
        f"secret in table: {clear}; digest stored: {hashed}; authtoken_token: {legacy}"
    )


def _auditor_reads_no_token(target: Target) -> tuple[bool, str]:
    token = _facts(target)["tokens"]["victim"]
    browser = target.browser()
    login = browser.login("rt-acc-auditor@example.org", PASSWORD)
    pages = ["/admin/", "/admin/authtoken/tokenproxy/", "/admin/authtoken/token/"]
    pages += ["/admin/civic/apitoken/", "/admin/civic/user/"]
    leaks, statuses = [], []
    for page in pages:
        answer = browser.request("GET", page)
        statuses.append(answer.status)
        if _secret(token) in answer.text:
            leaks.append(page)
    admin_ok = statuses[0] == 200
    closed = all(s in (302, 403, 404) for s in statuses[1:4])
    return (admin_ok and closed and not leaks), (
        f"login {login.status}; statuses {statuses}; pages showing a token: {leaks}"
    )


def _revoked_token_dies(target: Target) -> tuple[bool, str]:
    token = _facts(target)["tokens"]["revoker"]
    before = target.http("GET", "/api/v1/me/", token=token).status
    revoke = target.http("DELETE", "/api/v1/auth/token/", token=token).status
    after = target.http("GET", "/api/v1/me/", token=token).status
    return (before == 200 and revoke == 204 and after in (401, 403)), (
        f"before {before}, DELETE {revoke}, after {after}"
    )


def _password_change_revokes(target: Target) -> tuple[bool, str]:
    token = _facts(target)["tokens"]["changer"]
    before = target.http("GET", "/api/v1/me/", token=token).status
    user_id = int(token.split("_")[1])
    target.sql(
        "UPDATE civic_user SET password = 'changed-elsewhere' WHERE id = "
        "(SELECT user_id FROM civic_apitoken WHERE id = %s)",
        (user_id,),
    )
    after = target.http("GET", "/api/v1/me/", token=token).status
    return (before == 200 and after in (401, 403)), f"before {before}, after a SQL change {after}"


def _expired_token_dies(target: Target) -> tuple[bool, str]:
    token = _facts(target)["tokens"]["expired"]
    target.sql(
        "UPDATE civic_apitoken SET created_at = now() - interval '40 days', "
        "expires_at = now() - interval '10 days' WHERE id = %s",
        (int(token.split("_")[1]),),
    )
    after = target.http("GET", "/api/v1/me/", token=token).status
    return after in (401, 403), f"an expired token: {after}"


def _forged_secret_refused(target: Target) -> tuple[bool, str]:
    token = _facts(target)["tokens"]["victim"]
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    answer = target.http("GET", "/api/v1/me/", token=forged).status
    return answer in (401, 403), f"the right id with a wrong secret: {answer}"


def _web_verification_limited(target: Target) -> tuple[bool, str]:
    browser = target.browser()
    browser.login("rt-acc-prober@example.org", PASSWORD)
    wrong = {
        "last_name": "Personne",
        "first_names": "Nul",
        "birth_date": "1970-01-01",
        "roll_number": "X0000000",
    }
    statuses = [browser.post_form("/me/verify/", wrong).status for _ in range(12)]
    return statuses[-1] == 429 and 429 in statuses[:11], f"12 wrong identities: {statuses}"


def _claimed_answers_like_missing(target: Target) -> tuple[bool, str]:
    facts = _facts(target)
    claimed = facts["claimed"]
    missing = {**claimed, "roll_number": "Z9999999"}
    a = target.http("POST", "/api/v1/me/verification/", claimed, token=facts["tokens"]["probe1"])
    b = target.http("POST", "/api/v1/me/verification/", missing, token=facts["tokens"]["probe2"])
    same = a.status == b.status and a.json() == b.json()
    return same and a.status == 400, f"claimed {a.status} {a.json()}; missing {b.status} {b.json()}"


def _invite_tells_nothing(target: Target) -> tuple[bool, str]:
    facts = _facts(target)
    path = f"/api/v1/initiatives/{facts['initiative']}/promoters/"
    token = facts["tokens"]["initiator"]
    known = target.http("POST", path, {"email": "rt-acc-known@example.org"}, token=token)
    unknown = target.http("POST", path, {"email": "rt-acc-nobody@example.org"}, token=token)
    same = known.status == unknown.status and known.body == unknown.body
    return same, f"an account's address {known.status}, no account {unknown.status}, same: {same}"


def _api_login_shares_lockout(target: Target) -> tuple[bool, str]:
    browser = target.browser()
    for i in range(6):
        browser.login("rt-acc-locked@example.org", f"wrong guess {i}")
    answer = target.http(
        "POST",
        "/api/v1/auth/token/",
        {"email": "rt-acc-locked@example.org", "password": PASSWORD},
    )
    got_token = b"civ_" in answer.body
    return (answer.status == 429 and not got_token), (
        f"the right password over the API after the web lockout: {answer.status}"
    )


def attacks() -> list[Attack]:
    return [
        Attack(
            "17.1", "the token table holds digests only; DRF's clear table is gone", _no_clear_token
        ),
        Attack("17.1", "the auditor reads no token in the admin", _auditor_reads_no_token),
        Attack("17.1", "a token revoked by its holder stops working", _revoked_token_dies),
        Attack(
            "17.1", "a password change (even in SQL) revokes the tokens", _password_change_revokes
        ),
        Attack("17.1", "an expired token is refused", _expired_token_dies),
        Attack("17.1", "a token's id with a wrong secret is refused", _forged_secret_refused),
        Attack("17.2", "the web identity match is rate-limited", _web_verification_limited),
        Attack("17.2", "a claimed entry answers like a missing one", _claimed_answers_like_missing),
        Attack("17.12", "promoter_invite tells nothing about accounts", _invite_tells_nothing),
        Attack(
            "17.12", "the API login is refused after the web lockout", _api_login_shares_lockout
        ),
    ]
