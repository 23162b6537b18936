"""API authentication: `Authorization: Bearer <token>` (DRF's `Token <token>` is accepted too).

The token, its user and the user's register entry come back in ONE query with no ORM compilation:
every authenticated API call pays for this lookup, and the signing and voting paths then find the
register entry already loaded (`user.register_entry` does not query again)."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Model
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from civic.models import RegisterEntry, User
from civic.perf import prepared_cursor


@cache
def _converters(field: Any) -> list[Any]:
    # What the ORM's compiler applies: the backend's (SQLite returns text for dates and times),
    # then the field's own.
    return [
        *connection.ops.get_db_converters(field.cached_col),
        *field.get_db_converters(connection),
    ]


@cache
def _columns(model: type[Model], alias: str) -> tuple[list[str], str]:
    fields = [f.attname for f in model._meta.concrete_fields]
    columns = ", ".join(f'{alias}."{f.column}"' for f in model._meta.concrete_fields)
    return fields, columns


@cache
def _token_sql() -> str:
    _f, user_columns = _columns(User, "u")
    _f, entry_columns = _columns(RegisterEntry, "e")
    return (
        f"SELECT {user_columns}, {entry_columns} "  # noqa: S608 - column names from the models
        f'FROM "{Token._meta.db_table}" t '
        f'JOIN "{User._meta.db_table}" u ON u."id" = t."user_id" '
        f'LEFT JOIN "{RegisterEntry._meta.db_table}" e ON e."id" = u."register_entry_id" '
        'WHERE t."key" = %s'
    )


@cache
def _conversions(model: type[Model]) -> tuple[list[str], list[tuple[int, Any, list[Any]]]]:
    """The model's attribute names, and the fields that have converters (none on PostgreSQL)."""
    fields = model._meta.concrete_fields
    converted = [(i, f, c) for i, f in enumerate(fields) if (c := _converters(f))]
    return [f.attname for f in fields], converted


def _build(model: type[Model], values: list[Any]) -> Model:
    """An instance from raw column values (a list of the caller's, converted in place) through the
    fields' database converters (SQLite returns text for dates; PostgreSQL needs none), as the ORM
    itself would."""
    attnames, conversions = _conversions(model)
    for i, field, converters in conversions:
        value = values[i]
        for converter in converters:
            value = converter(value, field, connection)
        values[i] = value
    return model.from_db(DEFAULT_DB_ALIAS, attnames, values)  # `connection` is the default's


def token_user(key: str) -> User | None:
    """The user owning `key`, with their register entry cached on it; None for an unknown key."""
    with prepared_cursor() as cursor:
        cursor.execute(_token_sql(), [key])
        row = cursor.fetchone()
    if row is None:
        return None
    n = len(User._meta.concrete_fields)
    user = _build(User, list(row[:n]))
    assert isinstance(user, User)
    if user.register_entry_id is not None:
        User.register_entry.field.set_cached_value(user, _build(RegisterEntry, list(row[n:])))
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
