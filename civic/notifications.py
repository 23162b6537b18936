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
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from civic.models import Notification, NotificationPreference, NotificationStatus, User
from civic.queue import enqueue_mark_clear, enqueue_once
from civic.store import notifications_insert

logger = logging.getLogger(__name__)

# The delivery task, by name: civic/tasks.py imports this module, and registers its tasks with
# Celery from CivicConfig.ready(), before anything here can run.
DELIVER_TASK = "civic.tasks.deliver_notification"
DELIVER_BATCH_TASK = "civic.tasks.deliver_notifications"
# Recipients per delivery task of a broadcast: a task holds one SMTP conversation per message, so a
# batch stays a few seconds of work, and a rung reached by 100,000 followers is 500 tasks, not 100,000.
DELIVERY_BATCH = 200

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


def notify_all(
    *, recipients: QuerySet[User], kind: str, texts: dict[str, tuple[str, str]], url: str = ""
) -> int:
    """One message to each of `recipients` (a queryset, however large), in the caller's
    transaction, with a bounded number of statements: `texts` maps each language code the
    recipients use ("" for none) to its (subject, body). The rows are written by one INSERT ...
    SELECT (civic/store.py) and their delivery enqueued on commit, one task per DELIVERY_BATCH
    rows (the e-mails, or the digest or the inbox by each recipient's choice, are decided then)."""
    subjects = {lang: str(subject)[:255] for lang, (subject, _body) in texts.items()}
    bodies = {lang: str(body) for lang, (_subject, body) in texts.items()}
    ids = notifications_insert(
        recipients=recipients,
        kind=kind,
        subjects=subjects,
        bodies=bodies,
        url=url,
        fallback=settings.LANGUAGE_CODE,
        created_at=timezone.now(),
    )
    transaction.on_commit(lambda: notifications_enqueue_batches(ids))
    return len(ids)


def notifications_enqueue_batches(ids: list[int]) -> int:
    """One delivery task per DELIVERY_BATCH ids. Returns how many tasks."""
    task = current_app.tasks[DELIVER_BATCH_TASK]
    batches = [ids[i : i + DELIVERY_BATCH] for i in range(0, len(ids), DELIVERY_BATCH)]
    for batch in batches:
        task.delay(batch)
    return len(batches)


def notification_deliver(*, notification_id: int) -> bool:
    """Send one notification if no one else has. Returns True if this call sent it."""
    enqueue_mark_clear(DELIVER_TASK, notification_id)
    return notifications_deliver(notification_ids=[notification_id]) == 1


def notifications_deliver(*, notification_ids: list[int]) -> int:
    """Send each of these notifications that no one else has: claim them with one conditional
    UPDATE, keep in the inbox or for the digest those whose recipient chose so, e-mail the rest one
    by one, each marked sent as soon as it left. A failed send releases only its own row for a
    later retry; the first failure is raised once the others were tried. Returns how many sent."""
    token = uuid.uuid4()
    claimed = _claim(notification_ids, token)
    preferences = {
        pref.user_id: pref
        for pref in NotificationPreference.objects.filter(
            user_id__in={n.recipient_id for n in claimed}
        )
    }
    to_send: list[Notification] = []
    held: dict[str, list[int]] = {}
    for notification in claimed:
        status = _held_by_preference(preferences.get(notification.recipient_id))
        if status is None:
            to_send.append(notification)
        else:
            held.setdefault(status, []).append(notification.pk)
    for status, pks in held.items():  # e-mail off, or kept for the day's digest: the inbox has it
        Notification.objects.filter(pk__in=pks, claim_token=token).update(
            status=status, claimed_until=None, claim_token=None
        )
    sent, failure = 0, None
    for notification in to_send:
        try:
            _send_claimed(notification, token)
            sent += 1
        except Exception as exc:  # any transport failure: this row is retried later
            failure = failure or exc
    if failure is not None:
        raise failure
    return sent


def _claim(notification_ids: list[int], token: uuid.UUID) -> list[Notification]:
    """Take the rows still to send (pending, or sending under an expired lease) for this call;
    two workers given the same ids cannot both take one."""
    now = timezone.now()
    Notification.objects.filter(
        Q(status=NotificationStatus.PENDING)
        | Q(status=NotificationStatus.SENDING, claimed_until__lt=now),
        pk__in=notification_ids,
        attempts__lt=MAX_ATTEMPTS,
    ).update(
        status=NotificationStatus.SENDING,
        claimed_until=now + CLAIM_LEASE,
        claim_token=token,
        attempts=F("attempts") + 1,
    )
    return list(
        Notification.objects.filter(pk__in=notification_ids, claim_token=token)
        .select_related("recipient")
        .order_by("id")
    )


def _send_claimed(notification: Notification, token: uuid.UUID) -> None:
    message = _email(
        notification.recipient,
        subject=notification.subject,
        body=_with_link(notification),
        message_id=f"notification-{notification.uid}",
    )
    try:
        message.send()
    except Exception as exc:  # release the claim for a later retry (or give up after the last)
        Notification.objects.filter(pk=notification.pk, claim_token=token).update(
            status=(
                NotificationStatus.FAILED
                if notification.attempts >= MAX_ATTEMPTS
                else NotificationStatus.PENDING
            ),
            claimed_until=None,
            claim_token=None,
            last_error=type(exc).__name__,
        )
        logger.warning("notification %s delivery failed: %s", notification.pk, type(exc).__name__)
        raise
    Notification.objects.filter(pk=notification.pk, claim_token=token).update(
        status=NotificationStatus.SENT, sent_at=timezone.now(), claimed_until=None
    )


def _held_by_preference(pref: NotificationPreference | None) -> str | None:
    """Where a message goes instead of an e-mail, by its recipient's choice; None: e-mailed."""
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
