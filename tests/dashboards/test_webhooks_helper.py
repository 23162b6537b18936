"""The helper the lead's wiring tests use: it must fail when nothing matching was queued."""

from __future__ import annotations

import pytest
from django.db import transaction

from civic.models import WebhookEvent
from civic.webhooks import webhook_emit
from tests.dashboards.webhooks import assert_webhook_sent, subscribe

pytestmark = pytest.mark.django_db


def test_a_queued_delivery_with_the_payload_is_found():
    subscribe(WebhookEvent.INITIATIVE_PUBLISHED)
    with transaction.atomic():
        webhook_emit(event=WebhookEvent.INITIATIVE_PUBLISHED, payload={"initiative_id": 7, "x": 1})
    delivery = assert_webhook_sent(WebhookEvent.INITIATIVE_PUBLISHED, initiative_id=7)
    assert delivery.payload["x"] == 1


def test_a_different_payload_fails_the_assertion():
    subscribe(WebhookEvent.INITIATIVE_PUBLISHED)
    webhook_emit(event=WebhookEvent.INITIATIVE_PUBLISHED, payload={"initiative_id": 7})
    with pytest.raises(AssertionError):
        assert_webhook_sent(WebhookEvent.INITIATIVE_PUBLISHED, initiative_id=8)


def test_no_subscriber_means_nothing_sent_and_the_assertion_fails():
    webhook_emit(event=WebhookEvent.REFERENDUM_OPENED, payload={"campaign_id": 1})
    with pytest.raises(AssertionError):
        assert_webhook_sent(WebhookEvent.REFERENDUM_OPENED, campaign_id=1)


def test_an_unknown_event_name_fails_loudly():
    with pytest.raises(ValueError):
        assert_webhook_sent("initiative.publish", initiative_id=1)
