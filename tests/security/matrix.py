"""The authorisation matrix: for every operation of the OpenAPI schema, what each role gets.

A row is keyed by `(METHOD, "/api/v1/path/{param}/")` exactly as the schema names it. `expect`
gives the outcome for every role of `tests.e2e.world.ROLES` (a role left out fails the test).
Outcomes:
- OK: a 2xx answer, and when the row has an `effect`, the effect happened;
- NO_EFFECT: a 2xx answer that changed nothing (`effect` must say False): an idempotent no-op
  that tells a prober nothing, e.g. marking someone else's message read;
- DENIED: 401 or 403 (not logged in, not verified, not the right staff role);
- NOT_FOUND: 404 (the object is not yours or not visible to you);
- REFUSED: 400, 409 or 422: past the authorisation, the domain said no.

Tables live here for the core (`CORE`) and in `tests/<app>/authz_matrix.py` (a `MATRIX` dict of the
same shape) for each instrument, collected automatically: an operation of the schema in no table
fails `test_every_operation_of_the_schema_is_classified`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.e2e.world import PASSWORD, ROLES, STAFF_ROLES, World
from tests.factories import totp_code

OK = "ok"
NO_EFFECT = "no_effect"
DENIED = "denied"
NOT_FOUND = "not_found"
REFUSED = "refused"
OUTCOMES = (OK, NO_EFFECT, DENIED, NOT_FOUND, REFUSED)
INSTRUMENT_APPS = ("petitions", "referendums", "assembly", "dashboards")


def outcome_of(status: int) -> str:
    if 200 <= status < 300:
        return OK
    if status in (401, 403):
        return DENIED
    if status == 404:
        return NOT_FOUND
    if status in (400, 409, 422):
        return REFUSED
    return f"unexpected status {status}"


@dataclass(frozen=True)
class Row:
    expect: dict[str, str]
    # Path parameters for the schema's `{name}` placeholders, from the seeded world.
    params: Callable[[World], dict[str, Any]] = lambda world: {}
    # The request body a role sends (JSON), from the world and the role.
    body: Callable[[World, str], Any] | None = None
    # Whether the action took effect on its target (checked for OK and NO_EFFECT outcomes).
    effect: Callable[[World], bool] | None = None
    # Any extra assertion on a 2xx response (e.g. no one else's data in a list).
    check: Callable[[World, str, Any], None] | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def roles(default: str, **overrides: str) -> dict[str, str]:
    """`roles(DENIED, resident=OK)`: one outcome for every role, with exceptions by name."""
    unknown = set(overrides) - set(ROLES)
    assert not unknown, f"unknown roles {unknown}"
    return {role: overrides.get(role, default) for role in ROLES}


def staff(outcome: str) -> dict[str, str]:
    return dict.fromkeys(STAFF_ROLES, outcome)


# --- The civic core ------------------------------------------------------------------------------


def _own_notifications_only(world: World, role: str, data: Any) -> None:
    user = world.user(role)
    rows = data["results"] if isinstance(data, dict) and "results" in data else data
    foreign = {world.notification.pk, world.other_notification.pk} - (  # type: ignore[union-attr]
        {n.pk for n in user.notifications.all()} if user else set()  # type: ignore[attr-defined]
    )
    assert not foreign & {row["id"] for row in rows}, f"{role} sees someone else's messages"


def _me_is_self(world: World, role: str, data: Any) -> None:
    assert data["email"] == world.user(role).email  # type: ignore[union-attr]


def _identity_of_free_entry(world: World, role: str) -> dict[str, Any]:
    entry = world.free_entry
    assert entry is not None
    return {
        "last_name": entry.last_name,
        "first_names": entry.first_names,
        "birth_date": entry.birth_date.isoformat(),
        "roll_number": entry.roll_number,
    }


def _free_entry_claimed(world: World) -> bool:
    from civic.models import User

    return User.objects.filter(register_entry=world.free_entry).exists()


def _newcomer_desk_request(world: World) -> dict[str, Any]:
    """The newcomer's open desk request (a near-miss), created for the case."""
    from civic.models import DeskRequest

    user = world.user("unverified")
    waiting = DeskRequest.objects.filter(user=user, closed_at__isnull=True).first()
    if waiting is None:
        waiting = DeskRequest.objects.create(user=user, reason="ambiguous")
    return {"id": waiting.pk}


def _newcomer_desk_request_closed(world: World) -> bool:
    from civic.models import DeskRequest

    return DeskRequest.objects.filter(user=world.user("unverified"), outcome="closed").exists()


def _newcomer_verified(world: World) -> bool:
    from civic.models import User

    return User.objects.get(pk=world.user("unverified").pk).is_verified  # type: ignore[union-attr]


def _notification_read(world: World) -> bool:
    world.notification.refresh_from_db()  # type: ignore[union-attr]
    return world.notification.read_at is not None  # type: ignore[union-attr]


def _credentials(world: World, role: str) -> dict[str, str]:
    user = world.user(role)
    if user is None:  # a visitor without an account tries a resident's e-mail with a guess
        return {"email": world.user("resident").email, "password": "guess-" + PASSWORD}  # type: ignore[union-attr]
    if user.is_staff:  # every staff account has its second factor enrolled (tests/factories.py)
        return {"email": user.email, "password": PASSWORD, "code": totp_code()}
    return {"email": user.email, "password": PASSWORD}


_revoked: dict[str, int] = {}


def _a_resident_token(world: World) -> dict[str, Any]:
    from civic.services.tokens import api_token_create

    token, _secret = api_token_create(user=world.user("resident"))  # type: ignore[arg-type]
    _revoked["id"] = token.pk
    return {"id": token.pk}


def _resident_token_revoked(world: World) -> bool:
    from civic.models import ApiToken

    return not ApiToken.objects.filter(pk=_revoked["id"]).exists()


def _own_tokens_without_secrets(world: World, role: str, data: Any) -> None:
    from civic.models import ApiToken

    user = world.user(role)
    assert {row["id"] for row in data} <= set(
        ApiToken.objects.filter(user=user).values_list("id", flat=True)
    ), f"{role} sees someone else's tokens"
    assert all(
        set(row) == {"id", "created_at", "expires_at", "last_used_at", "current"} for row in data
    )


CORE: dict[tuple[str, str], Row] = {
    ("POST", "/api/v1/auth/token/"): Row(
        expect=roles(OK, anonymous=REFUSED),
        body=_credentials,
        note="each role sends its own credentials; the visitor a wrong password",
    ),
    ("DELETE", "/api/v1/auth/token/"): Row(
        expect=roles(OK, anonymous=DENIED), note="revokes the token the request presents"
    ),
    ("GET", "/api/v1/auth/tokens/"): Row(
        expect=roles(OK, anonymous=DENIED), check=_own_tokens_without_secrets
    ),
    ("DELETE", "/api/v1/auth/tokens/{id}/"): Row(
        # Only the owner revokes a token; anyone else's attempt is "not found" (no oracle).
        expect=roles(NOT_FOUND, anonymous=DENIED, resident=OK),
        params=_a_resident_token,
        effect=_resident_token_revoked,
    ),
    ("GET", "/api/v1/districts/"): Row(expect=roles(OK), note="public reference data"),
    ("GET", "/api/v1/audit/heads/"): Row(
        expect=roles(OK), note="the signed audit heads: public by design"
    ),
    ("GET", "/api/v1/me/"): Row(expect=roles(OK, anonymous=DENIED), check=_me_is_self),
    ("GET", "/api/v1/me/notifications/"): Row(
        expect=roles(OK, anonymous=DENIED), check=_own_notifications_only
    ),
    ("POST", "/api/v1/me/notifications/{id}/read/"): Row(
        # The resident's own message; anyone else's attempt answers the same and changes nothing.
        expect=roles(NO_EFFECT, anonymous=DENIED, resident=OK),
        params=lambda world: {"id": world.notification.pk},  # type: ignore[union-attr]
        effect=_notification_read,
    ),
    ("POST", "/api/v1/me/verification/"): Row(
        # Any account not linked yet may claim the entry whose identity it proves.
        expect=roles(OK, anonymous=DENIED, resident=REFUSED, other_resident=REFUSED),
        body=_identity_of_free_entry,
        effect=_free_entry_claimed,
    ),
    ("POST", "/api/v1/staff/verifications/"): Row(
        expect=roles(DENIED, administrator=OK, moderator=OK),
        body=lambda world, role: {
            "user_id": world.user("unverified").pk,  # type: ignore[union-attr]
            "entry_id": world.free_entry.pk,  # type: ignore[union-attr]
        },
        effect=_newcomer_verified,
    ),
    ("POST", "/api/v1/staff/desk-requests/{id}/close/"): Row(
        # The desk's roles only; the resident whose request it is cannot close it either.
        expect=roles(DENIED, administrator=OK, moderator=OK),
        params=_newcomer_desk_request,
        body=lambda world, role: {"reason": "document_missing", "note": "matrix"},
        effect=_newcomer_desk_request_closed,
    ),
    ("POST", "/api/v1/staff/webhooks/"): Row(
        # Administrators only; a loopback receiver is then refused by the destination check.
        expect=roles(DENIED, administrator=REFUSED),
        body=lambda world, role: {
            "name": "matrix",
            "url": "https://127.0.0.1/hook",
            "events": ["initiative.published"],
            "secret": "s" * 32,
        },
    ),
}


def all_tables() -> tuple[dict[tuple[str, str], Row], list[str]]:
    """The core table merged with every `tests/<app>/authz_matrix.py: MATRIX` that imports."""
    merged = dict(CORE)
    problems: list[str] = []
    for app in INSTRUMENT_APPS:
        try:
            module = importlib.import_module(f"tests.{app}.authz_matrix")
        except ModuleNotFoundError as exc:
            if exc.name not in (f"tests.{app}", f"tests.{app}.authz_matrix"):
                problems.append(f"tests/{app}/authz_matrix.py does not import: {exc}")
            continue
        for key, row in getattr(module, "MATRIX", {}).items():
            if key in merged:
                problems.append(f"{key} is classified twice (tests/{app}/authz_matrix.py)")
            merged[key] = row
    return merged, problems
