from __future__ import annotations

import pytest

from tests.factories import StaffFactory


@pytest.fixture
def moderator(db):  # type: ignore[no-untyped-def]
    return StaffFactory(role="moderator")


@pytest.fixture
def clerk(db):  # type: ignore[no-untyped-def]
    return StaffFactory(role="assembly_clerk")
