"""The admin's validators refuse what the law forbids, naming the article; thresholds round up."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from petitions.models import InstrumentType, Rung
from petitions.rules import share_threshold
from tests.factories import StaffFactory
from tests.petitions.factories import LEGAL

pytestmark = pytest.mark.django_db


def test_the_shipped_instruments_are_valid():
    for instrument in InstrumentType.objects.all():
        instrument.full_clean()
        for rung in instrument.rungs.all():
            rung.full_clean()


@pytest.mark.parametrize(("numerator", "denominator"), [(1, 20), (1, 5)])
def test_a_commune_share_other_than_one_tenth_is_refused_naming_l1112_16(numerator, denominator):  # type: ignore[no-untyped-def]
    rung = InstrumentType.objects.get(slug=LEGAL).rungs.get()
    rung.numerator, rung.denominator = numerator, denominator
    with pytest.raises(ValidationError) as caught:
        rung.full_clean()
    assert "CGCT L1112-16" in str(caught.value)


def test_an_absolute_rung_on_the_legal_request_is_refused():
    rung = InstrumentType.objects.get(slug=LEGAL).rungs.get()
    rung.kind, rung.absolute_value, rung.numerator, rung.denominator = "absolute", 100, None, None
    with pytest.raises(ValidationError, match="L1112-16"):
        rung.full_clean()


def test_the_legal_request_cannot_drop_the_quarter_limit_or_open_to_non_electors():
    instrument = InstrumentType.objects.get(slug=LEGAL)
    instrument.quarter_limit = False
    instrument.predicate = "resident_16"
    with pytest.raises(ValidationError) as caught:
        instrument.full_clean()
    assert set(caught.value.message_dict) == {"quarter_limit", "predicate"}


def test_other_collectivities_use_one_twentieth():
    instrument = InstrumentType.objects.get(slug=LEGAL)
    instrument.collectivity = "other"
    rung = Rung(
        instrument_type=instrument,
        order=1,
        kind="share",
        numerator=1,
        denominator=20,
        obligation_kind="council_agenda",
        obligation_text="t",
        due_days=10,
    )
    rung.clean()
    rung.denominator = 10
    with pytest.raises(ValidationError):
        rung.clean()


def test_a_charter_ladder_is_free():
    charter = InstrumentType.objects.get(slug="interpellation-charte")
    Rung(
        instrument_type=charter,
        order=9,
        kind="absolute",
        absolute_value=7,
        obligation_kind="assembly_agenda",
        obligation_text="t",
        due_days=30,
    ).full_clean()


def test_share_thresholds_round_up():
    assert share_threshold(population=1001, numerator=1, denominator=10) == 101
    assert share_threshold(population=1000, numerator=1, denominator=10) == 100
    assert share_threshold(population=0, numerator=1, denominator=10) == 1


def test_the_admin_refuses_a_legal_ladder_below_the_law():
    admin = StaffFactory(is_superuser=True)
    client = Client()
    client.force_login(admin)
    instrument = InstrumentType.objects.get(slug=LEGAL)
    rung = instrument.rungs.get()
    data = {
        "slug": instrument.slug,
        "name": instrument.name,
        "description": "",
        "legal_regime": "l1112_16",
        "collectivity": "commune",
        "legal_basis": "CGCT L1112-16",
        "predicate": "municipal_elector",
        "window_days": 183,
        "retention_days": 180,
        "min_promoters": 1,
        "quarter_limit": "on",
        "quarter_limit_rule": "CGCT L1112-16",
        "active": "on",
        "rungs-TOTAL_FORMS": 1,
        "rungs-INITIAL_FORMS": 1,
        "rungs-MIN_NUM_FORMS": 0,
        "rungs-MAX_NUM_FORMS": 1000,
        "rungs-0-id": rung.pk,
        "rungs-0-instrument_type": instrument.pk,
        "rungs-0-order": 1,
        "rungs-0-kind": "share",
        "rungs-0-numerator": 1,
        "rungs-0-denominator": 20,
        "rungs-0-obligation_kind": "council_agenda",
        "rungs-0-obligation_text": "t",
        "rungs-0-due_days": 60,
    }
    response = client.post(f"/admin/petitions/instrumenttype/{instrument.pk}/change/", data)
    assert response.status_code == 200 and "CGCT L1112-16" in response.content.decode()
    assert instrument.rungs.get().denominator == 10
    data["rungs-0-denominator"] = 10
    assert (
        client.post(f"/admin/petitions/instrumenttype/{instrument.pk}/change/", data).status_code
        == 302
    )
