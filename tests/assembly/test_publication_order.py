"""`petitions.collection_changed` carries an ordering stamp (`change_id`, growing with each change
of one initiative); the assembly keeps the last one it applied and ignores any event not later
than it. Events handled out of order (two workers, a retry) or delivered again never bring an
older publication state back on the agenda."""

from __future__ import annotations

import pytest

from assembly.models import AgendaItem, AgendaRequest, InitiativePublication
from civic.events import delivery_handle, publish
from civic.models import AuditEntry, EventDelivery, EventDeliveryStatus
from tests.assembly.factories import MandateFactory, SessionFactory
from tests.assembly.publish import obligation_reached

pytestmark = pytest.mark.django_db

INITIATIVE = 7
TITLE = f"Initiative {INITIATIVE}"  # as tests.assembly.publish names it
LABEL = "Initiative dépubliée"
HANDLER = "assembly.events.initiative_publication_changed"


def _changed(change_id: int, moderation: str) -> int:
    """Publish the event as the petitions app does, undelivered; returns the assembly's delivery."""
    event = publish(
        "petitions.collection_changed",
        initiative_id=INITIATIVE,
        change_id=change_id,
        kind="unpublished" if moderation == "unpublished" else "reinstated",
        moderation=moderation,
        title=TITLE,
        initiator_user_ids=[],
    )
    return EventDelivery.objects.get(event=event, subscriber=HANDLER).pk


def _deliver(delivery_id: int) -> None:
    """Hand the delivery to the assembly's handler, again if it was already handled."""
    EventDelivery.objects.filter(pk=delivery_id).update(
        status=EventDeliveryStatus.PENDING, done_at=None
    )
    assert delivery_handle(delivery_id=delivery_id)
    assert EventDelivery.objects.get(pk=delivery_id).status == EventDeliveryStatus.DONE


def _title() -> str:
    return AgendaItem.objects.get(source_id=INITIATIVE).title


@pytest.fixture
def on_agenda() -> None:
    SessionFactory(mandate=MandateFactory(seated=True))
    obligation_reached(INITIATIVE, users=[])
    assert _title() == TITLE


def test_in_order_the_item_follows_the_publication(on_agenda) -> None:
    _deliver(_changed(10, "unpublished"))
    assert _title() == LABEL
    _deliver(_changed(11, "public"))
    assert _title() == TITLE
    kept = InitiativePublication.objects.get(initiative_id=INITIATIVE)
    assert (kept.change_id, kept.withdrawn) == (11, False)


def test_an_older_unpublication_handled_after_the_reinstatement_is_ignored(on_agenda) -> None:
    unpublished, reinstated = _changed(10, "unpublished"), _changed(11, "public")
    _deliver(reinstated)
    _deliver(unpublished)
    assert _title() == TITLE
    kept = InitiativePublication.objects.get(initiative_id=INITIATIVE)
    assert (kept.change_id, kept.withdrawn) == (11, False)
    assert not AuditEntry.objects.filter(verb="assembly.agenda_item_withdrawn").exists()


def test_an_older_reinstatement_handled_after_the_unpublication_is_ignored(on_agenda) -> None:
    reinstated, unpublished = _changed(20, "public"), _changed(21, "unpublished")
    _deliver(unpublished)
    _deliver(reinstated)
    assert _title() == LABEL
    assert AgendaRequest.objects.get(source_id=INITIATIVE).title == TITLE  # kept for later
    assert InitiativePublication.objects.get(initiative_id=INITIATIVE).withdrawn


def test_a_redelivered_event_changes_nothing_even_after_a_newer_one(on_agenda) -> None:
    first, second, third = (
        _changed(30, "unpublished"),
        _changed(31, "public"),
        _changed(32, "unpublished"),
    )
    _deliver(first)
    _deliver(first)  # the same event again
    assert _title() == LABEL
    assert AuditEntry.objects.filter(verb="assembly.agenda_item_withdrawn").count() == 1
    _deliver(second)
    _deliver(third)
    assert _title() == LABEL
    for stale in (second, first, second):  # redelivered late, in any order
        _deliver(stale)
        assert _title() == LABEL
    assert AuditEntry.objects.filter(verb="assembly.agenda_item_restored").count() == 1
    assert InitiativePublication.objects.get(initiative_id=INITIATIVE).change_id == 32


def test_a_request_arriving_after_the_unpublication_is_kept_under_the_label() -> None:
    _deliver(_changed(40, "unpublished"))
    obligation_reached(INITIATIVE, users=[])  # no seated assembly: the request waits
    assert AgendaRequest.objects.get(source_id=INITIATIVE).title == LABEL
    _deliver(_changed(40, "public"))  # a stamp already applied: ignored
    assert AgendaRequest.objects.get(source_id=INITIATIVE).title == LABEL
    _deliver(_changed(41, "public"))
    assert AgendaRequest.objects.get(source_id=INITIATIVE).title == TITLE
