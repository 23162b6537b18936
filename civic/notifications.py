"""Notifications through an outbox.

`notify()` writes a row in the caller's transaction and enqueues its delivery on commit, so a rolled
back change never notifies and a committed one always will (the sweep re-enqueues what is stale).
Delivery claims the row with a conditional UPDATE before sending and marks it sent after: two workers
given the same id cannot both send, and a worker killed mid-send leaves a lease that expires before the
sweep retries. The Message-ID is derived from the row, so a receiving server sees any retry as the
same message.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from civic.models import Notification, NotificationPreference, NotificationStatus, User
from civic.queue import enqueue_mark_clear, enqueue_once

logger = logging.getLogger(__name__)

# The delivery task, by name: civic/tasks.py imports this module, and registers its tasks with
# Celery from CivicConfig.ready(), before anything here can run.
DELIVER_TASK = "civic.tasks.deliver_notification"

UNSUBSCRIBE_SALT = "civic.notifications.unsubscribe"
CLAIM_LEASE = timedelta(minutes=5)
STALE_AFTER = timedelta(minutes=2)
MAX_ATTEMPTS = 8


def notify(
    *,
    recipient: User,
    kind: str,
    subject: str,
    body: str,
    url: str = "",
) -> Notification:
    """Queue a message. `subject` and `body` should be lazy translations or already in the
    recipient's language: they are rendered here in the recipient's language."""
    with translation.override(recipient.language or settings.LANGUAGE_CODE):
        notification = Notification.objects.create(
            recipient=recipient, kind=kind, subject=str(subject)[:255], body=str(body), url=url
        )
    transaction.on_commit(lambda: notification_enqueue(notification_id=notification.pk))
    return notification


def notification_enqueue(*, notification_id: int) -> bool:
    """Enqueue the delivery unless one is already waiting (the enqueue-once marker of
    civic/queue.py, removed by the delivery as it starts): a sweep over a backlog then adds no
    copy of what is still queued. Returns True if it enqueued."""
    return enqueue_once(current_app.tasks[DELIVER_TASK], notification_id)


def notify_many(
    *, recipients: list[User], kind: str, subject: str, body: str, url: str = ""
) -> int:
    for recipient in recipients:
        notify(recipient=recipient, kind=kind, subject=subject, body=body, url=url)
    return len(recipients)


def notification_deliver(*, notification_id: int) -> bool:
    """Send one notification if no one else has. Returns True if this call sent it."""
    enqueue_mark_clear(DELIVER_TASK, notification_id)
    now = timezone.now()
    token = uuid.uuid4()
    claimed = Notification.objects.filter(
        Q(status=NotificationStatus.PENDING)
        | Q(status=NotificationStatus.SENDING, claimed_until__lt=now),
        pk=notification_id,
        attempts__lt=MAX_ATTEMPTS,
    ).update(
        status=NotificationStatus.SENDING,
        claimed_until=now + CLAIM_LEASE,
        claim_token=token,
        attempts=F("attempts") + 1,
    )
    if not claimed:  # sent already, or another worker holds a live lease
        return False
    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    held = _held_by_preference(notification.recipient)
    if held is not None:  # e-mail off, or kept for the day's digest: the inbox has it
        Notification.objects.filter(pk=notification_id, claim_token=token).update(
            status=held, claimed_until=None, claim_token=None
        )
        return False
    message = _email(
        notification.recipient,
        subject=notification.subject,
        body=_with_link(notification),
        message_id=f"notification-{notification.uid}",
    )
    try:
        message.send()
    except Exception as exc:  # any transport failure: release the claim for a later retry
        Notification.objects.filter(pk=notification_id, claim_token=token).update(
            status=(
                NotificationStatus.FAILED
                if notification.attempts >= MAX_ATTEMPTS
                else NotificationStatus.PENDING
            ),
            claimed_until=None,
            claim_token=None,
            last_error=type(exc).__name__,
        )
        logger.warning("notification %s delivery failed: %s", notification_id, type(exc).__name__)
        raise
    Notification.objects.filter(pk=notification_id, claim_token=token).update(
        status=NotificationStatus.SENT, sent_at=timezone.now(), claimed_until=None
    )
    return True


def _held_by_preference(user: User) -> str | None:
    pref = NotificationPreference.objects.filter(user=user).first()
    if pref is None:
        return None
    if not pref.email:
        return NotificationStatus.INBOX
    return NotificationStatus.HELD if pref.daily_digest else None


def _email(user: User, *, subject: str, body: str, message_id: str) -> EmailMessage:
    """Every notification e-mail carries its one-click unsubscribe (RFC 8058): the header a mail
    client shows as a button, and the same link at the foot of the text."""
    link = settings.SITE_URL + reverse("unsubscribe", args=[unsubscribe_token(user)])
    with translation.override(user.language or settings.LANGUAGE_CODE):
        footer = _("Ne plus recevoir ces e-mails : %(link)s") % {"link": link}
    return EmailMessage(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject,
        body=f"{body}\n\n-- \n{footer}",
        to=[user.email],
        headers={
            "Message-ID": f"<{message_id}@civic.invalid>",
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def digests_send() -> int:
    """One e-mail per resident who chose the daily digest, listing what was held for it; each
    held message is claimed by a guarded update first, so two workers never send it twice."""
    sent = 0
    users = User.objects.filter(
        pk__in=Notification.objects.filter(status=NotificationStatus.HELD).values("recipient_id")
    )
    for user in users.iterator():
        now = timezone.now()
        held = list(
            Notification.objects.filter(recipient=user, status=NotificationStatus.HELD).order_by(
                "id"
            )
        )
        claimed = Notification.objects.filter(
            pk__in=[n.pk for n in held], status=NotificationStatus.HELD
        ).update(status=NotificationStatus.SENT, sent_at=now)
        if not claimed:
            continue
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject = _("Votre récapitulatif du jour")
        body = "\n\n".join(f"* {n.subject}\n{_with_link(n)}" for n in held)
        message_id = f"digest-{user.pk}-{now:%Y%m%d%H%M%S}"
        try:
            _email(user, subject=subject, body=body, message_id=message_id).send()
        except Exception:  # the transport failed: hold them again for the next run
            Notification.objects.filter(pk__in=[n.pk for n in held], sent_at=now).update(
                status=NotificationStatus.HELD, sent_at=None
            )
            raise
        sent += 1
    return sent


def unsubscribe_token(user: User) -> str:
    return signing.dumps(user.pk, salt=UNSUBSCRIBE_SALT)


def unsubscribe_user(token: str) -> User | None:
    """The account a link names, or None for a forged or damaged link."""
    try:
        pk = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return User.objects.filter(pk=pk).first() if isinstance(pk, int) else None


def _with_link(notification: Notification) -> str:
    if not notification.url:
        return notification.body
    return f"{notification.body}\n\n{settings.SITE_URL}{notification.url}"


def notifications_stale_ids(*, limit: int = 500) -> list[int]:
    """Pending rows older than STALE_AFTER, and sending rows whose lease expired."""
    now = timezone.now()
    return list(
        Notification.objects.filter(
            Q(status=NotificationStatus.PENDING, created_at__lt=now - STALE_AFTER)
            | Q(status=NotificationStatus.SENDING, claimed_until__lt=now),
            attempts__lt=MAX_ATTEMPTS,
        )
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )


def notification_mark_read(*, user: User, notification_id: int) -> None:
    Notification.objects.filter(pk=notification_id, recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread message of `user` read, in one statement; returns how many."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
