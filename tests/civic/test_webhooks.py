import json
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from civic.models import (
    AuditEntry,
    DeliveryStatus,
    Notification,
    WebhookDelivery,
    WebhookSubscriber,
)
from civic.tasks import sweep_webhooks
from civic.webhooks import (
    PAUSE_AFTER,
    backoff,
    verify_signature,
    webhook_deliver,
    webhook_emit,
    webhook_resume,
)
from tests.factories import StaffFactory
from tests.httpd import serve_in_thread

pytestmark = pytest.mark.django_db


class Receiver:
    """A subscriber's server, written as a city's integrator would: it verifies every signature."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.received: list[dict] = []
        self.rejected = 0
        self.fail_next = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                ok = verify_signature(
                    secret=receiver.secret,
                    timestamp=int(self.headers["X-Civic-Timestamp"]),
                    body=body,
                    header=self.headers["X-Civic-Signature"],
                    now=time.time(),
                )
                if not ok:
                    receiver.rejected += 1
                    self.send_response(401)
                elif receiver.fail_next:
                    receiver.fail_next -= 1
                    self.send_response(503)
                else:
                    receiver.received.append(
                        {"delivery": self.headers["X-Civic-Delivery"], **json.loads(body)}
                    )
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        serve_in_thread(self.server)


@pytest.fixture(autouse=True)
def local_receivers(settings) -> None:
    """These receivers listen on loopback over plain HTTP: the city allows exactly that here."""
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(secret="")
    yield r
    r.server.shutdown()


@pytest.fixture
def subscriber(receiver: Receiver) -> WebhookSubscriber:
    sub = WebhookSubscriber.objects.create(
        name="Dashboard", url=receiver.url, events=["initiative.published", "referendum.closed"]
    )
    receiver.secret = sub.secret
    return sub


def test_a_delivery_is_signed_and_the_receiver_verifies_it(subscriber, receiver):
    assert webhook_emit(event="initiative.published", payload={"id": 7, "title": "Parc"}) == 1
    delivery = WebhookDelivery.objects.get()
    assert webhook_deliver(delivery_id=delivery.pk) is True
    assert receiver.rejected == 0
    [got] = receiver.received
    assert got == {
        "delivery": str(delivery.uid),
        "id": str(delivery.uid),
        "event": "initiative.published",
        "data": {"id": 7, "title": "Parc"},
    }
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.last_status_code == 204


def test_a_forged_or_stale_signature_fails_verification():
    body = b'{"a":1}'
    from civic.webhooks import signature

    good = signature(secret="s3cret", timestamp=1000, body=body)
    assert verify_signature(secret="s3cret", timestamp=1000, body=body, header=good, now=1100)
    assert not verify_signature(secret="other", timestamp=1000, body=body, header=good, now=1100)
    assert not verify_signature(
        secret="s3cret", timestamp=1000, body=b'{"a":2}', header=good, now=1100
    )
    assert not verify_signature(
        secret="s3cret", timestamp=1000, body=body, header=good, now=1000 + 301
    )


def test_events_go_only_to_their_subscribers(subscriber):
    assert webhook_emit(event="assembly.agenda_published", payload={}) == 0
    with pytest.raises(ValueError):
        webhook_emit(event="no.such.event", payload={})


def test_a_failing_receiver_is_retried_with_backoff_then_delivered_once(
    subscriber, receiver, freeze
):
    clock = freeze("2026-06-01 12:00")
    receiver.fail_next = 2
    webhook_emit(event="referendum.closed", payload={"id": 1})
    delivery = WebhookDelivery.objects.get()
    assert webhook_deliver(delivery_id=delivery.pk) is False
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 503)
    assert webhook_deliver(delivery_id=delivery.pk) is False  # not due yet: nothing sent
    assert delivery.attempts == WebhookDelivery.objects.get().attempts
    clock.shift(backoff(1))
    assert sweep_webhooks() == 1  # eager: the sweep delivered it, and it failed again
    clock.shift(backoff(2))
    assert sweep_webhooks() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 3
    assert len(receiver.received) == 1
    clock.shift(timedelta(days=1))
    assert sweep_webhooks() == 0


def test_backoff_grows_and_is_capped():
    assert backoff(1) == timedelta(seconds=30)
    assert backoff(3) == timedelta(seconds=120)
    assert backoff(40) == timedelta(hours=6)


def test_a_subscriber_that_keeps_failing_is_paused_and_staff_are_told_once(
    subscriber, receiver, freeze, django_capture_on_commit_callbacks
):
    clock = freeze("2026-06-01 12:00")
    admin = StaffFactory(role="administrator")
    receiver.fail_next = 10_000
    for i in range(PAUSE_AFTER + 2):
        webhook_emit(event="initiative.published", payload={"n": i})
    for _round in range(PAUSE_AFTER + 2):
        clock.shift(timedelta(hours=7))
        sweep_webhooks()
    subscriber.refresh_from_db()
    assert subscriber.active is False and subscriber.paused_at is not None
    assert AuditEntry.objects.filter(verb="webhook.paused").count() == 1
    assert list(Notification.objects.values_list("recipient", "kind")) == [
        (admin.pk, "webhook_paused")
    ]
    assert WebhookDelivery.objects.filter(status="delivered").count() == 0
    # Paused: nothing is attempted any more, and nothing is lost.
    attempts = sum(WebhookDelivery.objects.values_list("attempts", flat=True))
    clock.shift(timedelta(hours=7))
    assert sweep_webhooks() == 0
    assert sum(WebhookDelivery.objects.values_list("attempts", flat=True)) == attempts
    # Resumed once the receiver is fixed: everything pending arrives.
    receiver.fail_next = 0
    with django_capture_on_commit_callbacks(execute=True):
        webhook_resume(subscriber_id=subscriber.pk, actor=admin)
    assert len(receiver.received) == PAUSE_AFTER + 2
    assert len({r["delivery"] for r in receiver.received}) == PAUSE_AFTER + 2


def test_private_destinations_are_refused_unless_allowed_by_name(subscriber, receiver, settings):
    settings.WEBHOOK_ALLOWED_PRIVATE_HOSTS = []
    webhook_emit(event="initiative.published", payload={})
    delivery = WebhookDelivery.objects.get()
    assert webhook_deliver(delivery_id=delivery.pk) is False
    delivery.refresh_from_db()
    assert "loopback address" in delivery.last_error
    assert receiver.received == []
