"""The charter ladder a city ships carries the assembly agenda rung, also on a database seeded
before that rung existed (migration 0010), and the migration leaves a frozen ladder alone."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from petitions.models import InstrumentType, ObligationKind, Rung
from tests.petitions.factories import CHARTER, InitiativeFactory

pytestmark = pytest.mark.django_db
MIGRATION = importlib.import_module("petitions.migrations.0010_assembly_agenda_rung")


def _ladder() -> list[tuple[int, int | None, str]]:
    return list(
        Rung.objects.filter(instrument_type__slug=CHARTER)
        .order_by("order")
        .values_list("order", "absolute_value", "obligation_kind")
    )


def _as_seeded_before_the_rung() -> None:
    """The charter ladder as 0002 used to ship it: meeting, council, referendum debate."""
    Rung.objects.filter(
        instrument_type__slug=CHARTER, obligation_kind=ObligationKind.ASSEMBLY_AGENDA
    ).delete()
    for rung in Rung.objects.filter(instrument_type__slug=CHARTER).order_by("order"):
        Rung.objects.filter(pk=rung.pk).update(order=rung.order - 1 if rung.order > 2 else 1)


def test_a_new_database_ships_the_four_rungs_with_their_english():
    assert _ladder() == [
        (1, 50, "meeting"),
        (2, 300, "assembly_agenda"),
        (3, 900, "council_agenda"),
        (4, 4500, "referendum_debate"),
    ]
    english = Rung.objects.get(instrument_type__slug=CHARTER, order=2).obligation_text_en
    assert english.startswith("Placed on the agenda of the citizens' assembly")


def test_an_older_database_gets_the_rung_between_the_meeting_and_the_council():
    _as_seeded_before_the_rung()
    assert [kind for _order, _value, kind in _ladder()] == [
        "meeting",
        "council_agenda",
        "referendum_debate",
    ]
    MIGRATION.forwards(apps, None)
    assert [(value, kind) for _order, value, kind in _ladder()] == [
        (50, "meeting"),
        (300, "assembly_agenda"),
        (900, "council_agenda"),
        (4500, "referendum_debate"),
    ]
    MIGRATION.forwards(apps, None)  # run twice (a re-seed): nothing more
    assert len(_ladder()) == 4


def test_a_ladder_frozen_by_a_collecting_initiative_is_left_as_it_is(capsys):
    _as_seeded_before_the_rung()
    InitiativeFactory(collecting=True)
    MIGRATION.forwards(apps, None)
    assert len(_ladder()) == 3
    assert "ladder is frozen" in capsys.readouterr().out
    assert InstrumentType.objects.filter(slug=CHARTER).exists()
