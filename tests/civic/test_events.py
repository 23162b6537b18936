"""Domain events: written with the change, handled once per subscriber, retried when a handler fails."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import transaction

from civic import events
from civic.models import DomainEvent, EventDelivery, EventDeliveryStatus, Notification
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db

seen: list[tuple[str, int]] = []


@pytest.fixture(autouse=True)
def _handlers() -> Iterator[None]:
    """Two handlers of a test event, registered for this test only."""
    saved = dict(events._handlers)
    seen.clear()

    @events.subscriber("test.happened")
    def first(event: events.Event) -> None:
        seen.append(("first", event.payload["n"]))

    @events.subscriber("test.happened")
    def second(event: events.Event) -> None:
        if event.payload.get("fail"):
            ResidentFactory()  # a write the failure must roll back
            raise RuntimeError("handler failed")
        seen.append(("second", event.payload["n"]))

    yield
    events._handlers.clear()
    events._handlers.update(saved)


def test_publishing_writes_one_delivery_per_subscriber() -> None:
    event = events.publish("test.happened", n=1)
    assert sorted(d.subscriber.rsplit(".", 1)[1] for d in event.deliveries.all()) == [
        "first",
        "second",
    ]
    assert seen == []  # nothing runs before the commit


def test_a_rolled_back_change_announces_nothing() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        events.publish("test.happened", n=1)
        raise RuntimeError("the change failed")
    assert not DomainEvent.objects.exists()


def test_dispatch_runs_each_subscriber_once_however_often_it_is_asked(
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        event = events.publish("test.happened", n=7)
    assert sorted(seen) == [("first", 7), ("second", 7)]
    assert events.event_dispatch(event_id=event.pk) == 0
    assert events.events_drain() == 0
    assert sorted(seen) == [("first", 7), ("second", 7)]
    assert set(event.deliveries.values_list("status", flat=True)) == {EventDeliveryStatus.DONE}


def test_a_failing_handler_leaves_no_effect_and_is_retried_alone() -> None:
    users_before = Notification.objects.count(), ResidentFactory._meta.model.objects.count()
    event = events.publish("test.happened", n=3, fail=True)
    assert events.events_drain() == 1  # the first handler only
    failed = EventDelivery.objects.get(event=event, subscriber__endswith=".second")
    assert (failed.status, failed.attempts, failed.last_error) == ("pending", 1, "RuntimeError")
    assert ResidentFactory._meta.model.objects.count() == users_before[1]
    event.payload["fail"] = False
    DomainEvent.objects.filter(pk=event.pk).update(payload=event.payload)
    assert events.events_drain() == 1
    assert sorted(seen) == [("first", 3), ("second", 3)]


def test_a_handler_failing_every_time_is_given_up_after_the_maximum() -> None:
    event = events.publish("test.happened", n=4, fail=True)
    for _ in range(events.MAX_ATTEMPTS + 2):
        events.event_dispatch(event_id=event.pk)
    failed = EventDelivery.objects.get(event=event, subscriber__endswith=".second")
    assert (failed.status, failed.attempts) == ("failed", events.MAX_ATTEMPTS)


def test_the_sweep_finds_events_left_pending(freeze) -> None:
    freeze("2027-01-10 10:00")
    event = events.publish("test.happened", n=5)
    assert events.events_stale_ids() == []
    freeze("2027-01-10 10:05")
    assert events.events_stale_ids() == [event.pk]


def test_a_delivery_whose_handler_is_gone_is_given_up_not_retried_forever() -> None:
    event = events.publish("test.happened", n=6)
    EventDelivery.objects.filter(event=event, subscriber__endswith=".second").update(
        subscriber="civic.removed.handler"
    )
    for _ in range(events.MAX_ATTEMPTS + 2):
        events.event_dispatch(event_id=event.pk)
    gone = EventDelivery.objects.get(event=event, subscriber="civic.removed.handler")
    assert (gone.status, gone.attempts, gone.last_error) == (
        "failed",
        events.MAX_ATTEMPTS,
        "NoHandler",
    )
    assert seen == [("first", 6)]


def test_settled_events_are_purged_after_the_retention_and_pending_ones_kept(freeze) -> None:
    freeze("2027-01-10 10:00")
    settled = events.publish("test.happened", n=7)
    events.event_dispatch(event_id=settled.pk)
    given_up = events.publish("test.happened", n=8, fail=True)
    for _ in range(events.MAX_ATTEMPTS):
        events.event_dispatch(event_id=given_up.pk)
    owed = events.publish("test.happened", n=9)  # never dispatched: the sweep still owes it
    freeze("2027-01-10 10:00").shift(events.KEPT_FOR - timedelta(minutes=1))
    recent = events.publish("test.happened", n=10)
    events.event_dispatch(event_id=recent.pk)
    assert events.events_purge() == 0

    freeze("2027-01-10 10:00").shift(events.KEPT_FOR + timedelta(minutes=1))
    assert events.events_purge() == 2
    assert set(DomainEvent.objects.values_list("pk", flat=True)) == {owed.pk, recent.pk}
    assert not EventDelivery.objects.filter(event_id__in=[settled.pk, given_up.pk]).exists()
