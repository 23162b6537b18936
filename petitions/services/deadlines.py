"""The system side of the lifecycle: closing at the deadline, reminders, telling the signers."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from civic.audit import audit_record
from civic.models import Notification, User, WebhookEvent
from civic.webhooks import webhook_emit
from petitions.models import Initiative, Signature, Status
from petitions.rules import collection_closed_q, collection_open_q
from petitions.services._common import (
    get_initiative,
    notify_all,
    people_of,
    signers_notify_later,
)
from petitions.services.counting import counts_fold, rungs_evaluate
from petitions.services.transitions import initiative_move_where


def initiative_close(*, initiative_id: int) -> bool:
    """The system transition at the deadline. A guarded UPDATE: exactly one caller acts, however
    many workers race or however late the scheduler runs. Returns True for that caller."""
    with transaction.atomic():
        now = timezone.now()
        if not initiative_move_where(
            initiative_id, Status.CLOSED, when=collection_closed_q(now), now=now
        ):
            return False
        initiative = get_initiative(initiative_id)
        audit_record(
            actor=None,
            verb="initiative.closed",
            target=initiative,
            before={"status": Status.COLLECTING},
            after={"status": Status.CLOSED},
        )
        webhook_emit(
            event=WebhookEvent.INITIATIVE_CLOSED,
            payload={
                "initiative_id": initiative.pk,
                "title": initiative.title,
                "closed_at": now,
                "stats_url": settings.SITE_URL
                + reverse("api-stats-initiative", args=[initiative.pk]),
                "url": f"{settings.SITE_URL}{initiative.get_absolute_url()}",
            },
        )
        notify_all(
            people_of(initiative),
            kind="petitions.closed",
            subject=gettext_lazy("La collecte est close"),
            body=format_lazy(
                gettext_lazy(
                    "La collecte de l'initiative « {title} » est close. Les paliers atteints sont publiés sur sa page."
                ),
                title=initiative.title,
            ),
            url=initiative.get_absolute_url(),
        )
        signers_notify_later(initiative.pk, "petitions.closed")
    # The last signatures before the close may still sit in slots: fold them now, then record the
    # rungs reached (a signer's transaction still in flight at the close is caught by the next tick).
    counts_fold()
    rungs_evaluate(initiative_ids=[initiative_id])
    return True


def initiatives_due_ids(*, limit: int = 1000) -> list[int]:
    """Collecting initiatives whose deadline has passed (index on status, closes_at)."""
    return list(
        Initiative.objects.filter(collection_closed_q(timezone.now()))
        .order_by("closes_at")
        .values_list("id", flat=True)[:limit]
    )


def initiatives_remind_closing(*, days: int = 7) -> int:
    """ "7 days left", once per initiative: the guarded UPDATE on reminder_sent_at decides."""
    now = timezone.now()
    due = Initiative.objects.filter(
        collection_open_q(now),
        reminder_sent_at__isnull=True,
        closes_at__lte=now + timedelta(days=days),
    ).values_list("id", flat=True)
    sent = 0
    for initiative_id in list(due):
        with transaction.atomic():
            won = Initiative.objects.filter(pk=initiative_id, reminder_sent_at__isnull=True).update(
                reminder_sent_at=now
            )
            if not won:
                continue
            initiative = get_initiative(initiative_id)
            notify_all(
                people_of(initiative),
                kind="petitions.closing_soon",
                subject=gettext_lazy("Plus que quelques jours de collecte"),
                body=format_lazy(
                    gettext_lazy("La collecte de « {title} » se termine le {closes}."),
                    title=initiative.title,
                    closes=timezone.localtime(initiative.closes_at).strftime("%d/%m/%Y %H:%M"),
                ),
                url=initiative.get_absolute_url(),
            )
            sent += 1
    return sent


def signers_notify(*, initiative_id: int, kind: str) -> int:
    """Tell online signers that the initiative closed or was withdrawn. Idempotent: a signer who
    already holds this notification is skipped, so a redelivered task sends nothing twice."""
    initiative = get_initiative(initiative_id)
    url = initiative.get_absolute_url()
    entries = Signature.objects.filter(initiative_id=initiative_id).values("register_entry_id")
    already = Notification.objects.filter(kind=kind, url=url).values("recipient_id")
    recipients = (
        User.objects.filter(register_entry_id__in=entries, is_active=True)
        .exclude(pk__in=already)
        .order_by("pk")
    )
    if kind == "petitions.closed":
        subject = gettext_lazy("Une initiative que vous avez signée est close")
    else:
        subject = gettext_lazy("Une initiative que vous avez signée a été retirée")
    body = format_lazy(gettext_lazy("Initiative « {title} »."), title=initiative.title)
    sent = 0
    for user in recipients.iterator(chunk_size=500):
        with transaction.atomic():
            notify_all([user], kind=kind, subject=subject, body=body, url=url)
        sent += 1
    return sent
