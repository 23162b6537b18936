"""What the assembly does when the referendums app publishes a result (the event, not a call)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from assembly import tasks
from assembly.models import AgendaItem, AgendaRequest, SourceKind
from civic.models import EventDelivery
from tests.assembly.factories import MandateFactory, SessionFactory
from tests.assembly.publish import obligation_reached, results_published

pytestmark = pytest.mark.django_db


def test_a_referendum_result_is_placed_on_the_agenda_once() -> None:
    mandate = MandateFactory(seated=True)
    session = SessionFactory(mandate=mandate)
    results_published(3, title="Tramway")
    results_published(3, title="Tramway")
    item = AgendaItem.objects.get()
    assert (item.session, item.source_kind, item.source_id) == (
        session,
        SourceKind.REFERENDUM_RESULT,
        3,
    )
    assert item.title == "Suites du référendum : Tramway"
    assert item.source_url == "/referendums/3/results/"
    assert AgendaRequest.objects.get().placed_item == item
    assert tasks.place_initiatives() == 0
    assert not EventDelivery.objects.exclude(status="done").exists()


def test_a_referendum_result_waits_without_a_seated_assembly_or_a_session_with_room() -> None:
    results_published(3)
    mandate = MandateFactory(seated=True)
    SessionFactory(mandate=mandate, capacity_minutes=10)
    assert tasks.place_initiatives() == 0
    assert not AgendaItem.objects.exists()
    assert AgendaRequest.objects.filter(source_id=3, placed_item__isnull=True).exists()


def test_a_waiting_result_is_placed_by_the_periodic_task_once_a_session_has_room() -> None:
    results_published(3)
    mandate = MandateFactory(seated=True)
    session = SessionFactory(mandate=mandate)
    assert tasks.place_initiatives() == 1
    assert tasks.place_initiatives() == 0
    assert AgendaItem.objects.get(source_kind=SourceKind.REFERENDUM_RESULT).session == session


def test_a_result_waiting_past_its_follow_up_window_is_no_longer_placed(freeze) -> None:
    start = timezone.now()
    freeze(start)
    results_published(3)
    freeze(start + timedelta(days=91))
    SessionFactory(mandate=MandateFactory(seated=True))
    assert tasks.place_initiatives() == 0
    assert not AgendaItem.objects.exists()


def test_a_result_and_an_initiative_with_the_same_id_are_two_requests() -> None:
    SessionFactory(mandate=MandateFactory(seated=True))
    results_published(3)
    obligation_reached(3, users=[])
    assert sorted(AgendaItem.objects.values_list("source_kind", flat=True)) == [
        SourceKind.INITIATIVE,
        SourceKind.REFERENDUM_RESULT,
    ]
