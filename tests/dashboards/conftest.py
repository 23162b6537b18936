from __future__ import annotations

import pytest

from tests.petitions.conftest import _fresh_rate_limits, shipped_instruments  # noqa: F401


@pytest.fixture
def now(freeze):  # type: ignore[no-untyped-def]
    return freeze("2026-03-02 10:00")
