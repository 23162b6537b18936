"""`assert_webhook_sent(event, **payload_subset)`: a delivery row for a subscriber to `event`
whose payload contains every given key with that value (the lead's wiring tests use it).

    subscriber = WebhookSubscriberFactory ... or WebhookSubscriber.objects.create(
        name="r", url="https://example.org/hook", events=[WebhookEvent.INITIATIVE_PUBLISHED])
    initiative_publish(...)
    assert_webhook_sent(WebhookEvent.INITIATIVE_PUBLISHED, initiative_id=initiative.pk)
"""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from civic.models import WebhookDelivery, WebhookEvent, WebhookSubscriber


def subscribe(*events: str, name: str = "receiver") -> WebhookSubscriber:
    return WebhookSubscriber.objects.create(
        name=name, url="https://hooks.example.org/civic", events=[str(e) for e in events]
    )


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def assert_webhook_sent(event: str, **payload_subset: Any) -> WebhookDelivery:
    """Fails, listing what was sent, unless a delivery of `event` to a subscriber of `event`
    carries `payload_subset` (values compared after JSON encoding, as the receiver sees them)."""
    WebhookEvent(event)  # a typo in the event name fails here, not as "nothing sent"
    expected = _plain(payload_subset)
    deliveries = list(WebhookDelivery.objects.filter(event=event).select_related("subscriber"))
    for delivery in deliveries:
        if event not in (delivery.subscriber.events or []):
            continue
        payload = delivery.payload or {}
        if all(key in payload and payload[key] == value for key, value in expected.items()):
            return delivery
    sent = [(d.event, d.payload) for d in WebhookDelivery.objects.all()[:20]]
    raise AssertionError(f"no {event} delivery with {expected}; deliveries: {sent}")
