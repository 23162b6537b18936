"""Ladders in the admin go through the services: frozen while an initiative collects on the
instrument (and by the database, whatever the path), audited otherwise; adding still works."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, transaction
from django.test import Client

from civic.models import AuditEntry
from petitions.models import InstrumentType, Rung
from tests.admin_forms import form_data
from tests.factories import StaffFactory
from tests.petitions.factories import CHARTER, InitiativeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff() -> Client:
    client = Client()
    client.force_login(StaffFactory(role="moderator"))
    return client


@pytest.fixture
def now(freeze):  # type: ignore[no-untyped-def]
    return freeze("2026-03-02 10:00")


def _url(instrument: InstrumentType) -> str:
    return f"/admin/petitions/instrumenttype/{instrument.pk}/change/"


def _post_change(staff: Client, instrument: InstrumentType, **changes: Any) -> Any:
    page = staff.get(_url(instrument))
    assert page.status_code == 200
    data = form_data(page)
    data.update(changes)
    return staff.post(_url(instrument), data)


def test_a_rung_of_an_instrument_with_an_open_collection_cannot_change(now, staff) -> None:
    InitiativeFactory(collecting=True)
    instrument = InstrumentType.objects.get(slug=CHARTER)
    first = instrument.rungs.order_by("order").first()
    assert first is not None
    response = _post_change(staff, instrument, **{"rungs-0-absolute_value": "5"})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.absolute_value != 5
    assert not AuditEntry.objects.filter(verb="petitions.rung_change").exists()
    assert "figées" in staff.get(_url(instrument)).content.decode()


def test_the_rules_of_an_instrument_with_an_open_collection_cannot_change(now, staff) -> None:
    InitiativeFactory(collecting=True)
    instrument = InstrumentType.objects.get(slug=CHARTER)
    response = _post_change(staff, instrument, window_days="400")
    assert response.status_code == 302
    instrument.refresh_from_db()
    assert instrument.window_days != 400


def test_the_database_refuses_a_ladder_change_during_collection_whatever_the_path(now) -> None:
    InitiativeFactory(collecting=True)
    instrument = InstrumentType.objects.get(slug=CHARTER)
    with pytest.raises(DatabaseError, match="ladder_frozen"), transaction.atomic():
        Rung.objects.filter(instrument_type=instrument).update(absolute_value=1)
    with pytest.raises(DatabaseError, match="ladder_frozen"), transaction.atomic():
        InstrumentType.objects.filter(pk=instrument.pk).update(
            quarter_limit=True, quarter_limit_rule="x"
        )
    # What residents only read may change.
    InstrumentType.objects.filter(pk=instrument.pk).update(name_en="Charter petition")


def test_a_ladder_without_open_collection_changes_through_the_service_and_is_audited(
    now, staff
) -> None:
    instrument = InstrumentType.objects.get(slug=CHARTER)
    first = instrument.rungs.order_by("order").first()
    assert first is not None
    response = _post_change(staff, instrument, **{"rungs-0-absolute_value": "60"})
    assert response.status_code == 302, response.content
    first.refresh_from_db()
    assert first.absolute_value == 60
    audit = AuditEntry.objects.get(verb="petitions.rung_change")
    assert audit.before["absolute_value"] != 60 and audit.after["absolute_value"] == 60


def test_an_instrument_with_its_ladder_can_still_be_added(now, staff) -> None:
    page = staff.get("/admin/petitions/instrumenttype/add/")
    assert page.status_code == 200
    data = form_data(page)
    data.update(
        {
            "slug": "budget-participatif",
            "name": "Budget participatif",
            "legal_regime": "charter",
            "collectivity": "commune",
            "legal_basis": "Charte, art. 9",
            "predicate": "resident_16",
            "window_days": "90",
            "retention_days": "180",
            "min_promoters": "1",
            "active": "on",
            "rungs-TOTAL_FORMS": "1",
            "rungs-0-order": "1",
            "rungs-0-kind": "absolute",
            "rungs-0-absolute_value": "100",
            "rungs-0-obligation_kind": "meeting",
            "rungs-0-obligation_text": "Une rencontre",
            "rungs-0-due_days": "21",
        }
    )
    response = staff.post("/admin/petitions/instrumenttype/add/", data)
    assert response.status_code == 302, response.content
    instrument = InstrumentType.objects.get(slug="budget-participatif")
    assert list(instrument.rungs.values_list("absolute_value", flat=True)) == [100]
    assert AuditEntry.objects.filter(verb="petitions.instrument_create").count() == 1
    assert AuditEntry.objects.filter(verb="petitions.rung_add").count() == 1
