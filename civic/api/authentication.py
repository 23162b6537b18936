"""API authentication: `Authorization: Bearer civ_<id>_<secret>` (`Token ...` is accepted too).

The token's row, its user and the user's register entry come back in ONE query with no ORM
compilation (civic/store.py, built into instances by civic.perf): every authenticated API call
pays for this lookup, and the signing and voting paths then find the register entry already loaded
(`user.register_entry` does not query again). The row is found by the token's id; the SHA-256 of
the presented secret is compared with the stored digest in constant time."""

from __future__ import annotations

import hmac
from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from civic.models import RegisterEntry, User
from civic.perf import model_from_row
from civic.services.tokens import token_digest, token_parse
from civic.store import token_user_row

# The longest token we issue is under 90 characters; anything longer is not ours.
_MAX_TOKEN_LENGTH = 128


class PresentedToken:
    """What `request.auth` holds for a token: its id (the secret is not kept)."""

    __slots__ = ("id",)

    def __init__(self, token_id: int) -> None:
        self.id = token_id


def token_lookup(raw: str) -> tuple[User, PresentedToken] | None:
    """The user owning the token `raw`, with their register entry cached on it, and the token;
    None for an unknown, malformed, expired or wrong token."""
    parsed = token_parse(raw)
    if parsed is None:
        return None
    token_id, secret = parsed
    digest = token_digest(secret)
    row = token_user_row(token_id, digest)
    if row is None:
        return None
    stored, expires_at = row[0], row[1]
    if not hmac.compare_digest(digest, stored) or expires_at <= timezone.now():
        return None
    n = len(User._meta.concrete_fields)
    user = model_from_row(User, list(row[2 : 2 + n]))
    assert isinstance(user, User)
    if user.register_entry_id is not None:
        entry = model_from_row(RegisterEntry, list(row[2 + n :]))
        User.register_entry.field.set_cached_value(user, entry)
    return user, PresentedToken(token_id)


def token_user(raw: str) -> User | None:
    """The user owning the token `raw` (see token_lookup), or None."""
    found = token_lookup(raw)
    return found[0] if found else None


class BearerTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <token>` (also accepts `Token <token>`)."""

    keyword = "Bearer"

    def authenticate(self, request: Any) -> tuple[User, PresentedToken] | None:
        keyword, _sep, key = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if keyword.lower() not in {"bearer", "token"}:
            return None  # not ours: another scheme, or no header at all
        key = key.strip()
        if not key or len(key) > _MAX_TOKEN_LENGTH or not key.isascii() or " " in key:
            raise exceptions.AuthenticationFailed()
        return self.authenticate_credentials(key)

    def authenticate_credentials(self, key: str) -> tuple[User, PresentedToken]:
        found = token_lookup(key)
        if found is None or not found[0].is_active:
            # One answer for an unknown, expired or revoked token and a deactivated account.
            raise exceptions.AuthenticationFailed()
        return found

    def authenticate_header(self, request: Any) -> str:
        return self.keyword


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """How the schema names the scheme: a bearer token `civ_<id>_<secret>`."""

    target_class = "civic.api.authentication.BearerTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "civ_<id>_<secret>"}
