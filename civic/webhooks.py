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
import ipaddress
import json
import logging
import socket
import ssl
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from celery import current_app
from django.conf import settings
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


class UnsafeDestination(Exception):
    """A receiver the toolkit refuses to call; `code` is the API's stable error code."""

    def __init__(self, message: str, code: str = "webhook_destination_refused") -> None:
        super().__init__(message)
        self.code = code


# IPv6 prefixes that carry an IPv4 address a gateway would reach: NAT64 (RFC 6052, RFC 8215).
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def address_refusal(address: str) -> str | None:
    """Why `address` is no place to send a webhook (loopback, private, link-local, multicast,
    reserved, unspecified, or an IPv6 form of one of them), or None when it is public."""
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(
        address.split("%", 1)[0]
    )
    embedded: ipaddress.IPv4Address | None = None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # the socket reaches the IPv4 address itself
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None:
            embedded = ip.sixtofour
        elif ip.teredo is not None:
            return "a Teredo address"
        elif any(ip in net for net in _NAT64):
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    for candidate in (ip, embedded):
        if candidate is None:
            continue
        for flag in (
            "is_loopback",
            "is_link_local",
            "is_multicast",
            "is_unspecified",
            "is_reserved",
            "is_private",
        ):
            if getattr(candidate, flag):
                return f"{flag.removeprefix('is_').replace('_', '-')} address"
        if not candidate.is_global:
            return "non-public address"
    return None


@dataclass(frozen=True)
class Destination:
    """A receiver's URL, resolved once: the connection goes to `address`, TLS checks `host`."""

    scheme: str
    host: str
    port: int
    address: str
    target: str  # path and query

    def connection(self, timeout: float) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return _PinnedHTTPSConnection(self.host, self.port, self.address, timeout)
        return _PinnedHTTPConnection(self.host, self.port, self.address, timeout)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.pinned_address = address

    def connect(self) -> None:
        # The address checked, not a fresh lookup of the name (DNS rebinding).
        self.sock = socket.create_connection((self.pinned_address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.pinned_address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.pinned_address, self.port), self.timeout)
        # The certificate is checked against the host name of the URL (SNI too), not the address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _allowed_private(host: str) -> bool:
    return host.rstrip(".").lower() in {
        h.rstrip(".").lower() for h in settings.WEBHOOK_ALLOWED_PRIVATE_HOSTS
    }


def resolve_destination(url: str) -> Destination:
    """Check `url` and resolve its host once. Refused: a scheme other than https (http only with
    WEBHOOK_ALLOW_HTTP), credentials in the URL, a host that does not resolve, and a host any of
    whose addresses is not public, unless the host is listed in WEBHOOK_ALLOWED_PRIVATE_HOSTS."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeDestination("not a valid URL") from exc
    schemes = {"https", "http"} if settings.WEBHOOK_ALLOW_HTTP else {"https"}
    if parts.scheme not in schemes:
        raise UnsafeDestination("only https URLs are allowed", code="webhook_scheme_refused")
    if not parts.hostname:
        raise UnsafeDestination("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeDestination("credentials in the URL are not allowed")
    host = parts.hostname
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise UnsafeDestination(f"{host} does not resolve") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise UnsafeDestination(f"{host} does not resolve")
    if not _allowed_private(host):
        for address in addresses:
            refusal = address_refusal(address)
            if refusal is not None:
                raise UnsafeDestination(f"{host} resolves to a {refusal}")
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return Destination(parts.scheme, host, port, addresses[0], target)


def _post(destination: Destination, body: bytes, headers: dict[str, str]) -> int:
    """POST once; the status code. A redirect is answered as it is, never followed."""
    connection = destination.connection(TIMEOUT_SECONDS)
    try:
        connection.request("POST", destination.target, body=body, headers=headers)
        response = connection.getresponse()
        response.read(65536)
        return response.status
    finally:
        connection.close()


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
