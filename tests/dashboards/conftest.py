from __future__ import annotations

import pytest

from tests.petitions.conftest import shipped_instruments  # noqa: F401


@pytest.fixture
def now(freeze):  # type: ignore[no-untyped-def]
    return freeze("2026-03-02 10:00")


@pytest.fixture(autouse=True)
def _fresh_document_memo():  # type: ignore[no-untyped-def]
    from dashboards.selectors import document_memo_forget

    document_memo_forget()
    yield
    document_memo_forget()
