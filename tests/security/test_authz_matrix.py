"""Every operation of the API schema by every role by its method, against the expected outcome
written down in tests/security/matrix.py (and tests/<app>/authz_matrix.py): no unexpected success,
no unexpected refusal, and no operation left unclassified."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Model
from rest_framework.test import APIClient

from civic.models import User
from tests.e2e.world import ROLES, World, seed_world
from tests.factories import api_key_for
from tests.security.matrix import NO_EFFECT, OK, OUTCOMES, all_tables, outcome_of
from tests.security.schema import HTTP_METHODS, openapi_schema, operations

TABLE, TABLE_PROBLEMS = all_tables()
OPERATIONS = operations()
CLASSIFIED = [op for op in OPERATIONS if op in TABLE]


# Each seeded account's API token, made once with the module's city (in its transaction): a case
# that revokes one does so in its own savepoint, undone before the next. A token made per case was
# a sixth of the module's time (a row and its audit record, 1,100-odd times).
_TOKENS: dict[int, str] = {}


@pytest.fixture(scope="module")
def seeded_world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """One seeded city for the whole module, in a transaction rolled back at its end: each of the
    1,100-odd cases runs inside it in a savepoint of its own (pytest-django's `db`), so what a case
    writes is gone before the next, as with a world seeded per case, at a fraction of the cost
    (seeding was most of each case's time)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            world = seed_world()
            _TOKENS.update({u.pk: api_key_for(u) for u in world.users.values() if u is not None})
            yield world
        finally:
            _TOKENS.clear()
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def world(db: None, seeded_world: World) -> World:
    """The module's city, its objects read again from the database: a case that refreshed or
    changed one in memory leaves nothing behind for the next."""
    users = User.objects.in_bulk([u.pk for u in seeded_world.users.values()])
    return replace(
        seeded_world,
        users={role: users[u.pk] for role, u in seeded_world.users.items()},
        free_entry=_again(seeded_world.free_entry),
        notification=_again(seeded_world.notification),
        other_notification=_again(seeded_world.other_notification),
        emailed_urls=list(seeded_world.emailed_urls),
    )


def _again(obj: Model | None) -> Any:
    return None if obj is None else type(obj)._default_manager.get(pk=obj.pk)


@pytest.fixture(autouse=True)
def no_throttling(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Rate limits are tested on their own; here each request must meet the permission checks."""
    from civic.api.throttling import SlidingWindowThrottle

    monkeypatch.setattr(SlidingWindowThrottle, "allow_request", lambda self, request, view: True)
    yield


def client_for(world: World, role: str) -> APIClient:
    client = APIClient()
    user = world.user(role)
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {_TOKENS[user.pk]}")
    return client


def call(client: APIClient, method: str, url: str, body: object):  # type: ignore[no-untyped-def]
    payload = json.dumps(body) if body is not None else ("{}" if method != "GET" else None)
    if payload is None:
        return client.generic(method, url)
    return client.generic(method, url, data=payload, content_type="application/json")


def test_every_operation_of_the_schema_is_classified():
    missing = [f"{method} {path}" for method, path in OPERATIONS if (method, path) not in TABLE]
    assert not missing, (
        f"{len(missing)} API operations have no row in the authorisation matrix: add them to "
        "tests/security/matrix.py (core) or tests/<app>/authz_matrix.py (MATRIX):\n  "
        + "\n  ".join(missing)
    )


def test_the_matrix_has_no_row_for_an_operation_that_no_longer_exists():
    stale = [f"{m} {p}" for m, p in TABLE if (m, p) not in OPERATIONS]
    assert not stale, f"rows for operations the schema no longer has: {stale}"
    assert not TABLE_PROBLEMS, TABLE_PROBLEMS


@pytest.mark.parametrize("key", sorted(TABLE), ids=lambda key: f"{key[0]} {key[1]}")
def test_every_row_names_an_outcome_for_every_role(key):
    row = TABLE[key]
    assert set(row.expect) == set(ROLES), f"roles missing: {set(ROLES) - set(row.expect)}"
    assert set(row.expect.values()) <= set(OUTCOMES)
    if NO_EFFECT in row.expect.values():
        assert row.effect is not None, "NO_EFFECT needs an `effect` to check"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path"), CLASSIFIED, ids=[f"{m} {p}" for m, p in CLASSIFIED])
def test_each_role_gets_exactly_the_expected_outcome(world, method, path, role):
    row = TABLE[(method, path)]
    expected = row.expect[role]
    url = path.format(**row.params(world))
    body = row.body(world, role) if row.body else None
    response = call(client_for(world, role), method, url, body)
    outcome = outcome_of(response.status_code)
    detail = f"{role} {method} {url} -> {response.status_code} {response.content[:300]!r}"
    if expected == NO_EFFECT:
        assert outcome == OK, detail
        assert row.effect is not None and not row.effect(world), f"it took effect: {detail}"
    else:
        assert outcome == expected, f"expected {expected}: {detail}"
        if expected == OK and row.effect is not None:
            assert row.effect(world), f"answered 2xx but did nothing: {detail}"
    if outcome == OK and row.check is not None and response.content:
        row.check(world, role, response.json())


@pytest.mark.parametrize("path", sorted(openapi_schema()["paths"]))
def test_methods_the_schema_does_not_declare_never_succeed(world, path):
    declared = set(openapi_schema()["paths"][path])
    undeclared = [m.upper() for m in HTTP_METHODS if m not in declared]
    rows = [TABLE[(m.upper(), path)] for m in declared if (m.upper(), path) in TABLE]
    params = rows[0].params(world) if rows else {}
    url = path.format_map(_Default(params))
    for role in ROLES:
        client = client_for(world, role)
        for method in undeclared:
            status = call(client, method, url, None).status_code
            assert status in (401, 403, 404, 405), f"{role} {method} {url} -> {status}"


class _Default(dict):  # type: ignore[type-arg]
    """Path parameters of an unclassified path: any id will do to probe the method."""

    def __missing__(self, key: str) -> str:
        return "1"
