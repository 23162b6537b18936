"""A moderator extends, suspends or resumes an initiative's collection; each change is dated,
public (a row of `CollectionChange`, on the page and in the API), audited and told to the
initiative's people and followers. The window stands still while collection is suspended: on
resumption the closing instant moves by the time it stood (docs/civic-rules.md, "Moderation")."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic.audit import audit_record
from civic.errors import Conflict, DomainError
from civic.events import publish
from civic.models import User
from petitions.models import ChangeKind, CollectionChange, Initiative, Moderation
from petitions.rules import collection_window_running
from petitions.selectors import count_version_bump
from petitions.services._common import lock_initiative, notify_all, people_of, require_moderator
from petitions.services.signatures import open_memo_forget

REASON_MAX = 2000
REMIND_DAYS = 7  # services.deadlines.initiatives_remind_closing's default


def public_reason(reason: str) -> str:
    """The public reason every moderation change carries: required, trimmed, bounded."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Indiquez le motif public de ce changement."), code="reason_required")
    if len(reason) > REASON_MAX:
        raise DomainError(
            _("Le motif ne peut dépasser %(n)s caractères.") % {"n": REASON_MAX},
            code="reason_too_long",
        )
    return reason


def extension_days_left(initiative: Initiative) -> int:
    """How many more days the initiative's collection may be extended (PETITIONS_EXTENSION_MAX_DAYS
    in all: time given back after a suspension is not an extension)."""
    spent = CollectionChange.objects.filter(
        initiative=initiative, kind=ChangeKind.EXTENDED
    ).aggregate(s=Sum(F("closes_after") - F("closes_before")))["s"] or timedelta(0)
    return max(0, int(settings.PETITIONS_EXTENSION_MAX_DAYS) - spent.days)


def collection_suspended_by_staff(initiative: Initiative) -> bool:
    """Whether the collection itself was suspended (not only through the initiative's
    suspension): its last suspension or resumption in the history is a suspension."""
    last = (
        CollectionChange.objects.filter(
            initiative=initiative, kind__in=[ChangeKind.PAUSED, ChangeKind.RESUMED]
        )
        .order_by("-at", "-id")
        .values_list("kind", flat=True)
        .first()
    )
    return last == ChangeKind.PAUSED


def window_pause(initiative: Initiative, *, now: datetime) -> None:
    """Stop the collection's window (the row the caller locked; saved by the caller)."""
    if initiative.collection_paused_at is None:
        initiative.collection_paused_at = now


def window_resume(initiative: Initiative, *, now: datetime) -> None:
    """Restart the window: the closing instant moves by the time the collection stood still."""
    if initiative.collection_paused_at is None or initiative.closes_at is None:
        return
    initiative.closes_at += now - initiative.collection_paused_at
    initiative.collection_paused_at = None
    _rearm_reminder(initiative, now=now)


def _rearm_reminder(initiative: Initiative, *, now: datetime) -> None:
    """A closing instant moved far enough ahead earns the "few days left" reminder again."""
    assert initiative.closes_at is not None
    if initiative.closes_at > now + timedelta(days=REMIND_DAYS):
        initiative.reminder_sent_at = None


def change_record(
    initiative: Initiative,
    *,
    kind: str,
    actor: User,
    reason: str,
    now: datetime,
    before: dict[str, Any],
) -> CollectionChange:
    """Save the locked row, add the public history row, audit, and tell the people concerned once
    the transaction commits (the page's cached parts follow `updated_at` and the count version)."""
    initiative.updated_at = now
    initiative.save()
    change = CollectionChange.objects.create(
        initiative=initiative,
        kind=kind,
        at=now,
        reason=reason,
        closes_before=before.get("closes_at"),
        closes_after=initiative.closes_at,
        actor=actor,
    )
    audit_record(
        actor=actor,
        verb=f"initiative.{kind}",
        target=initiative,
        before=before,
        after={
            "moderation": initiative.moderation,
            "closes_at": initiative.closes_at,
            "collection_paused_at": initiative.collection_paused_at,
            "reason": reason,
        },
    )
    open_memo_forget(initiative.pk)
    transaction.on_commit(count_version_bump)
    label = ChangeKind(kind).label
    publish(
        "petitions.collection_changed",
        initiative_id=initiative.pk,
        change_id=change.pk,
        kind=kind,
        moderation=initiative.moderation,
        title=initiative.title,
        initiator_user_ids=[u.pk for u in people_of(initiative)],
    )
    notify_all(
        people_of(initiative),
        kind=f"petitions.{kind}",
        subject=label,
        body=format_lazy(
            gettext_lazy("Initiative « {title} » : {change}. Motif : {reason}"),
            title=initiative.title,
            change=label,
            reason=reason,
        ),
        url=initiative.get_absolute_url(),
    )
    return change


def _snapshot(initiative: Initiative) -> dict[str, object]:
    return {
        "moderation": initiative.moderation,
        "closes_at": initiative.closes_at,
        "collection_paused_at": initiative.collection_paused_at,
    }


def _running_collection(initiative_id: int, now: datetime) -> Initiative:
    initiative = lock_initiative(initiative_id)
    if not collection_window_running(initiative, now=now):
        raise Conflict(
            _("Cette initiative n'a pas de collecte en cours."), code="collection_not_running"
        )
    return initiative


def collection_extend(*, initiative_id: int, actor: User, days: int, reason: str) -> Initiative:
    """Move the closing instant `days` later, within PETITIONS_EXTENSION_MAX_DAYS in all."""
    require_moderator(actor)
    reason = public_reason(reason)
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise DomainError(_("Indiquez un nombre de jours positif."), code="extension_days_invalid")
    with transaction.atomic():
        now = timezone.now()
        initiative = _running_collection(initiative_id, now)
        left = extension_days_left(initiative)
        if days > left:
            raise DomainError(
                _(
                    "La collecte ne peut plus être prolongée que de %(left)s jours (%(max)s au plus)."
                )
                % {"left": left, "max": settings.PETITIONS_EXTENSION_MAX_DAYS},
                code="extension_too_long",
                rule="PETITIONS_EXTENSION_MAX_DAYS",
            )
        before = _snapshot(initiative)
        assert initiative.closes_at is not None
        initiative.closes_at += timedelta(days=days)
        _rearm_reminder(initiative, now=now)
        change_record(
            initiative, kind=ChangeKind.EXTENDED, actor=actor, reason=reason, now=now, before=before
        )
    return initiative


def collection_suspend(*, initiative_id: int, actor: User, reason: str) -> Initiative:
    """Stop the collection: no signature is taken, the window stands still."""
    require_moderator(actor)
    reason = public_reason(reason)
    with transaction.atomic():
        now = timezone.now()
        initiative = _running_collection(initiative_id, now)
        if collection_suspended_by_staff(initiative) or initiative.moderation != Moderation.PUBLIC:
            raise Conflict(
                _("La collecte est déjà suspendue."), code="collection_already_suspended"
            )
        before = _snapshot(initiative)
        window_pause(initiative, now=now)
        change_record(
            initiative, kind=ChangeKind.PAUSED, actor=actor, reason=reason, now=now, before=before
        )
    return initiative


def collection_resume(*, initiative_id: int, actor: User, reason: str) -> Initiative:
    """Restart a suspended collection; its closing instant moves by the time it stood still. An
    initiative suspended or unpublished is reinstated instead (services.moderation)."""
    require_moderator(actor)
    reason = public_reason(reason)
    with transaction.atomic():
        now = timezone.now()
        initiative = _running_collection(initiative_id, now)
        if initiative.moderation != Moderation.PUBLIC:
            raise Conflict(
                _("L'initiative est suspendue ou dépubliée : rétablissez-la d'abord."),
                code="initiative_moderated",
            )
        if not collection_suspended_by_staff(initiative):
            raise Conflict(_("La collecte n'est pas suspendue."), code="collection_not_suspended")
        before = _snapshot(initiative)
        window_resume(initiative, now=now)
        change_record(
            initiative, kind=ChangeKind.RESUMED, actor=actor, reason=reason, now=now, before=before
        )
    return initiative
