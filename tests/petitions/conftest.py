from __future__ import annotations

import pytest

from tests.factories import StaffFactory


@pytest.fixture
def moderator(db):  # type: ignore[no-untyped-def]
    return StaffFactory(role="moderator")


@pytest.fixture
def clerk(db):  # type: ignore[no-untyped-def]
    return StaffFactory(role="assembly_clerk")


@pytest.fixture(autouse=True)
def shipped_instruments(request):  # type: ignore[no-untyped-def]
    """Transactional tests flush the database, data migrations included: re-seed (idempotent)."""
    if not request.node.get_closest_marker("django_db"):
        return
    import importlib

    from django.apps import apps

    migration = importlib.import_module("petitions.migrations.0002_shipped_instruments")
    migration.forwards(apps, None)
