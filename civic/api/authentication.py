"""API authentication: `Authorization: Bearer <token>` (DRF's `Token <token>` is accepted too).

The token, its user and the user's register entry come back in ONE query with no ORM compilation
(civic/store.py, built into instances by civic.perf):
every authenticated API call pays for this lookup, and the signing and voting paths then find the
register entry already loaded (`user.register_entry` does not query again)."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from civic.models import RegisterEntry, User
from civic.perf import model_from_row
from civic.store import token_user_row


def token_user(key: str) -> User | None:
    """The user owning `key`, with their register entry cached on it; None for an unknown key."""
    row = token_user_row(key)
    if row is None:
        return None
    n = len(User._meta.concrete_fields)
    user = model_from_row(User, list(row[:n]))
    assert isinstance(user, User)
    if user.register_entry_id is not None:
        entry = model_from_row(RegisterEntry, list(row[n:]))
        User.register_entry.field.set_cached_value(user, entry)
    return user


class BearerTokenAuthentication(TokenAuthentication):
    """`Authorization: Bearer <token>` (also accepts DRF's `Token <token>`)."""

    keyword = "Bearer"

    def authenticate(self, request: Any) -> tuple[User, Token] | None:
        keyword, _sep, key = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if keyword.lower() not in {"bearer", "token"}:
            return None  # not ours: another scheme, or no header at all
        key = key.strip()
        if not key or len(key) > 64 or not key.isascii() or " " in key:
            raise exceptions.AuthenticationFailed()
        return self.authenticate_credentials(key)

    def authenticate_credentials(self, key: str) -> tuple[User, Token]:
        user = token_user(key)
        if user is None or not user.is_active:
            # One answer for an unknown token and a deactivated account (DRF's own message).
            raise exceptions.AuthenticationFailed()
        return user, Token(key=key, user=user)
