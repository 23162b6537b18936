"""Webhooks: signed, retried, at-least-once deliveries from an outbox.

`webhook_emit()` is called inside the transaction of the change it announces: one delivery row per
subscriber, enqueued on commit. Each POST carries:

- `X-Civic-Event`: the event name; `X-Civic-Delivery`: a UUID the receiver uses to drop duplicates
  (delivery is at least once: a worker killed after the POST but before recording it will retry);
- `X-Civic-Timestamp`: Unix seconds; `X-Civic-Signature`: `v1=` + hex HMAC-SHA256 of
  `"{timestamp}.{body}"` under the subscriber's secret. Receivers recompute it and refuse stale
  timestamps (five minutes is the advice), which defeats replay.

Receivers are HTTPS only (`WEBHOOK_ALLOW_HTTP` for tests and a local demo). The host is resolved once
per delivery; if any address is loopback, private, link-local, multicast or reserved (in any IPv6
form too) the delivery fails, unless the host is named in `WEBHOOK_ALLOWED_PRIVATE_HOSTS`. The
connection goes to the address checked (no second lookup for DNS rebinding to exploit), TLS checks
the host name, and a redirect is a failed delivery, never followed. The shared secret is write-only:
typed in the admin or the API, never shown again (it stays in clear in the database, to sign).

Failures retry with exponential backoff; after `PAUSE_AFTER` consecutive failures the subscriber is
paused and the administrators are told.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import time
import uuid
from datetime import timedelta
from typing import Any

from celery import current_app
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civic.audit import audit_record
from civic.errors import DomainError
from civic.models import (
    DeliveryStatus,
    User,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscriber,
)
from civic.notifications import notify
from civic.roles import Role
from civic.webhook_destinations import (
    UnsafeDestination,
    _post,
    resolve_destination,
)

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
CLAIM_LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 12
PAUSE_AFTER = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=6)
# The delivery task, by name: civic/tasks.py imports this module, and registers its tasks with
# Celery from CivicConfig.ready(), before anything here can run.
DELIVER_TASK = "civic.tasks.deliver_webhook"


def _deliver_on_commit(delivery_id: int) -> None:
    current_app.tasks[DELIVER_TASK].delay_on_commit(delivery_id)


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def verify_signature(
    *, secret: str, timestamp: int, body: bytes, header: str, now: float, tolerance: int = 300
) -> bool:
    """What a receiver does (kept here as the reference implementation for the docs and tests)."""
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(signature(secret=secret, timestamp=timestamp, body=body), header)


def backoff(attempts: int) -> timedelta:
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def webhook_emit(*, event: str, payload: dict[str, Any]) -> int:
    """Queue `event` for every active subscriber to it. Call inside the domain transaction."""
    WebhookEvent(event)  # refuses an unknown event name
    subscribers = [
        s for s in WebhookSubscriber.objects.filter(active=True) if event in (s.events or [])
    ]
    if not subscribers:
        return 0
    body = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(subscriber=s, event=event, payload=body, next_attempt_at=timezone.now())
            for s in subscribers
        ]
    )
    for delivery in deliveries:
        _deliver_on_commit(delivery.pk)
    return len(deliveries)


def webhook_deliver(*, delivery_id: int) -> bool:
    """Attempt one delivery if it is due and nobody else holds it. True when delivered now."""
    now = timezone.now()
    token = uuid.uuid4()
    claimed = WebhookDelivery.objects.filter(
        Q(status=DeliveryStatus.PENDING) | Q(status=DeliveryStatus.SENDING, claimed_until__lt=now),
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        pk=delivery_id,
        subscriber__active=True,
    ).update(
        status=DeliveryStatus.SENDING,
        claimed_until=now + CLAIM_LEASE,
        claim_token=token,
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return False
    delivery = WebhookDelivery.objects.select_related("subscriber").get(pk=delivery_id)
    subscriber = delivery.subscriber
    body = json.dumps(
        {"id": str(delivery.uid), "event": delivery.event, "data": delivery.payload},
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "civic-toolkit-webhooks/1",
        "X-Civic-Event": delivery.event,
        "X-Civic-Delivery": str(delivery.uid),
        "X-Civic-Timestamp": str(timestamp),
        "X-Civic-Signature": signature(secret=subscriber.secret, timestamp=timestamp, body=body),
    }
    status_code: int | None = None
    error = ""
    try:
        status_code = _post(resolve_destination(subscriber.url), body, headers)
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
            if 300 <= status_code < 400:
                error += " (redirect not followed)"
    except (OSError, http.client.HTTPException, UnsafeDestination) as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
    if status_code is not None and 200 <= status_code < 300:
        with transaction.atomic():
            WebhookDelivery.objects.filter(pk=delivery_id, claim_token=token).update(
                status=DeliveryStatus.DELIVERED,
                delivered_at=timezone.now(),
                last_status_code=status_code,
                last_error="",
                claimed_until=None,
            )
            WebhookSubscriber.objects.filter(pk=subscriber.pk).update(consecutive_failures=0)
        return True
    _record_failure(delivery, token=token, status_code=status_code, error=error)
    return False


def _record_failure(
    delivery: WebhookDelivery, *, token: uuid.UUID, status_code: int | None, error: str
) -> None:
    give_up = delivery.attempts >= MAX_ATTEMPTS
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk, claim_token=token).update(
            status=DeliveryStatus.FAILED if give_up else DeliveryStatus.PENDING,
            next_attempt_at=None if give_up else timezone.now() + backoff(delivery.attempts),
            last_status_code=status_code,
            last_error=error,
            claimed_until=None,
        )
        WebhookSubscriber.objects.filter(pk=delivery.subscriber_id).update(
            consecutive_failures=F("consecutive_failures") + 1
        )
        # Only the call that crosses the threshold pauses (a guarded update), so staff hear once.
        paused = WebhookSubscriber.objects.filter(
            pk=delivery.subscriber_id, active=True, consecutive_failures__gte=PAUSE_AFTER
        ).update(active=False, paused_at=timezone.now())
        if paused:
            subscriber = WebhookSubscriber.objects.get(pk=delivery.subscriber_id)
            audit_record(
                actor=None,
                verb="webhook.paused",
                target=subscriber,
                after={"consecutive_failures": subscriber.consecutive_failures, "error": error},
            )
            for admin in User.objects.filter(
                Q(is_superuser=True) | Q(groups__name=Role.ADMINISTRATOR), is_active=True
            ).distinct():
                notify(
                    recipient=admin,
                    kind="webhook_paused",
                    subject=_("Webhook mis en pause : %(name)s") % {"name": subscriber.name},
                    body=_(
                        "Les livraisons vers %(url)s ont échoué %(count)s fois de suite. "
                        "L'abonné est en pause ; réactivez-le dans l'administration une fois "
                        "le problème corrigé."
                    )
                    % {"url": subscriber.url, "count": subscriber.consecutive_failures},
                )


def webhook_subscribe(
    *, actor: User, name: str, url: str, events: list[str], secret: str
) -> WebhookSubscriber:
    """Register a receiver after checking its address as every delivery will; audited (the
    secret is not: it is write-only and never leaves the database again)."""
    try:
        resolve_destination(url)
    except UnsafeDestination as exc:
        raise DomainError(
            _("Adresse de réception refusée : %(reason)s") % {"reason": str(exc)},
            code=exc.code,
            status=400,
        ) from exc
    for event in events:
        WebhookEvent(event)
    with transaction.atomic():
        subscriber = WebhookSubscriber.objects.create(
            name=name, url=url, events=events, secret=secret, created_by=actor
        )
        audit_record(
            actor=actor,
            verb="webhook.create",
            target=subscriber,
            after={"url": url, "events": events, "active": True},
        )
    return subscriber


def webhook_resume(*, subscriber_id: int, actor: User) -> None:
    with transaction.atomic():
        updated = WebhookSubscriber.objects.filter(pk=subscriber_id, active=False).update(
            active=True, paused_at=None, consecutive_failures=0
        )
        if updated:
            audit_record(
                actor=actor,
                verb="webhook.resume",
                target=("civic.webhooksubscriber", subscriber_id),
            )
            pending = WebhookDelivery.objects.filter(
                subscriber_id=subscriber_id, status=DeliveryStatus.PENDING
            )
            pending.update(next_attempt_at=timezone.now())
            due = list(pending.values_list("pk", flat=True))
            for pk in due:
                _deliver_on_commit(pk)


def webhooks_due_ids(*, limit: int = 500) -> list[int]:
    now = timezone.now()
    return list(
        WebhookDelivery.objects.filter(
            Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            | Q(status=DeliveryStatus.SENDING, claimed_until__lt=now),
            subscriber__active=True,
        )
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
