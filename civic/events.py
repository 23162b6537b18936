"""Domain events: how one app's change reaches another without either importing the other.

The publishing app calls `publish("petitions.rung_reached", initiative_id=..., ...)` inside the
transaction of its change; the receiving app registers a handler in its own `events.py`:

    @subscriber("petitions.rung_reached")
    def place_on_agenda(event: Event) -> None: ...

and `AppConfig.ready()` imports that module. Publishing writes the event and one delivery row per
handler registered at that moment, in the caller's transaction (a rolled-back change announces
nothing), and enqueues its dispatch on commit. Dispatch runs each handler in a transaction that also
marks its delivery done, so a handler's effect happens exactly once: a worker killed mid-way rolls
both back, and the sweep (`civic.tasks.sweep_events`) hands the delivery out again. Handlers must
be quick (a long job enqueues its own task) and idempotent towards the outside world (mail goes
through the notification outbox, which is written in the same transaction).

Payloads carry ids and public facts only, never a person's opinion or a secret.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from civic.models import DomainEvent, EventDelivery, EventDeliveryStatus
from civic.queue import enqueue_mark_clear, enqueue_once

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
STALE_AFTER = timedelta(minutes=1)
# Events whose deliveries are all settled (handled, or given up and shown to staff) are kept this
# long for the record, then deleted: the outbox would otherwise grow with every signature tick.
KEPT_FOR = timedelta(days=90)
DISPATCH_TASK = "civic.tasks.dispatch_event"


@dataclass(frozen=True)
class Event:
    id: int
    name: str
    payload: dict[str, Any]
    created_at: datetime


Handler = Callable[[Event], None]

# event name -> {subscriber key -> handler}; filled at import time by each app's events.py.
_handlers: dict[str, dict[str, Handler]] = {}


def subscriber(name: str) -> Callable[[Handler], Handler]:
    """Register the decorated function for events called `name`. Its key (module and function
    name) is stored with each delivery, so renaming a handler fails older deliveries (logged, given
    up after MAX_ATTEMPTS) rather than handing them to the wrong function."""

    def register(handler: Handler) -> Handler:
        key = f"{handler.__module__}.{handler.__qualname__}"
        _handlers.setdefault(name, {})[key] = handler
        return handler

    return register


def subscribers(name: str) -> list[str]:
    return sorted(_handlers.get(name, {}))


def publish(name: str, /, **payload: Any) -> DomainEvent:
    """Record the event in the current transaction and dispatch it once the transaction commits."""
    event = DomainEvent.objects.create(name=name, payload=payload)
    keys = subscribers(name)
    EventDelivery.objects.bulk_create(EventDelivery(event=event, subscriber=key) for key in keys)
    if keys:
        transaction.on_commit(lambda: event_enqueue(event_id=event.pk))
    return event


def event_enqueue(*, event_id: int) -> bool:
    """Enqueue the dispatch unless a copy is already waiting (the sweep's enqueue-once marker)."""
    from celery import current_app

    return enqueue_once(current_app.tasks[DISPATCH_TASK], event_id)


def event_dispatch(*, event_id: int) -> int:
    """Hand the event to each subscriber that has not had it. Returns how many handled it now."""
    enqueue_mark_clear(DISPATCH_TASK, event_id)
    pending = EventDelivery.objects.filter(
        event_id=event_id, status=EventDeliveryStatus.PENDING
    ).values_list("id", flat=True)
    return sum(delivery_handle(delivery_id=pk) for pk in list(pending))


def delivery_handle(*, delivery_id: int) -> bool:
    """Run one delivery's handler and mark it done, in one transaction. A delivery another worker
    is handling right now is skipped (its row is locked); a failing handler leaves nothing behind
    but the attempt count and the exception's type."""
    with transaction.atomic():
        delivery = (
            EventDelivery.objects.select_for_update(skip_locked=True)
            .select_related("event")
            .filter(pk=delivery_id, status=EventDeliveryStatus.PENDING)
            .first()
        )
        if delivery is None:
            return False
        handler = _handlers.get(delivery.event.name, {}).get(delivery.subscriber)
        if handler is None:  # renamed or removed: counted as a failed attempt, not retried forever
            logger.warning("event %s: no handler %s", delivery.event_id, delivery.subscriber)
            _attempt_failed(delivery, "NoHandler")
            return False
        event = Event(
            id=delivery.event.pk,
            name=delivery.event.name,
            payload=delivery.event.payload,
            created_at=delivery.event.created_at,
        )
        try:
            with transaction.atomic():
                handler(event)
        except Exception as exc:
            _attempt_failed(delivery, type(exc).__name__)
            logger.exception("event %s: %s failed", delivery.event_id, delivery.subscriber)
            return False
        EventDelivery.objects.filter(pk=delivery.pk).update(
            attempts=F("attempts") + 1,
            status=EventDeliveryStatus.DONE,
            done_at=timezone.now(),
            last_error="",
        )
    return True


def _attempt_failed(delivery: EventDelivery, error: str) -> None:
    """Count the attempt; after MAX_ATTEMPTS the delivery is given up (FAILED) and left for staff."""
    given_up = delivery.attempts + 1 >= MAX_ATTEMPTS
    EventDelivery.objects.filter(pk=delivery.pk).update(
        attempts=F("attempts") + 1,
        last_error=error,
        status=EventDeliveryStatus.FAILED if given_up else EventDeliveryStatus.PENDING,
    )


def events_stale_ids(*, limit: int = 500) -> list[int]:
    """Events with a delivery still pending a while after they were written."""
    return list(
        EventDelivery.objects.filter(
            status=EventDeliveryStatus.PENDING,
            event__created_at__lt=timezone.now() - STALE_AFTER,
        )
        .order_by("event_id")
        .values_list("event_id", flat=True)
        .distinct()[:limit]
    )


def events_drain() -> int:
    """Dispatch every pending delivery in this process, oldest first (tests, shell, the demo).
    Returns how many were handled."""
    ids = (
        EventDelivery.objects.filter(status=EventDeliveryStatus.PENDING)
        .order_by("event_id")
        .values_list("event_id", flat=True)
        .distinct()
    )
    return sum(event_dispatch(event_id=pk) for pk in list(ids))


def events_purge(*, kept_for: timedelta = KEPT_FOR, batch: int = 5000) -> int:
    """Delete events older than `kept_for` with no delivery still pending (their deliveries go
    with them). A pending delivery keeps its event however old: the sweep still owes it.
    Returns how many events were deleted."""
    cutoff = timezone.now() - kept_for
    deleted = 0
    while True:
        ids = list(
            DomainEvent.objects.filter(created_at__lt=cutoff)
            .exclude(deliveries__status=EventDeliveryStatus.PENDING)
            .order_by("id")
            .values_list("id", flat=True)[:batch]
        )
        if not ids:
            return deleted
        EventDelivery.objects.filter(event_id__in=ids).delete()
        deleted += DomainEvent.objects.filter(pk__in=ids).delete()[1].get("civic.DomainEvent", 0)
