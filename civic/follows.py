"""Following an initiative, a campaign or the assembly, and telling followers what happened.

Each instrument registers its kind of target from its AppConfig.ready(): how to check that an id
is public, its title and address, and who follows it without asking (an initiative's signers).
`followers()` is the explicit rows, plus the implicit ones, minus whoever stopped; `broadcast()`
writes one message per follower in the follower's language through the notification outbox, in
one statement, and enqueues their delivery (or keeping for the digest, or for the inbox) in batches."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from civic.errors import NotFound
from civic.models import Follow, NotificationPreference, User
from civic.notifications import notify_all


@dataclass(frozen=True)
class FollowTarget:
    label: Any  # a lazy translation
    # The target's title and address if it is public, else None.
    describe: Callable[[int], tuple[str, str] | None]
    # Users who follow without a row (an initiative's signers), as a queryset of user ids.
    implicit: Callable[[int], QuerySet[User]] | None = None


TARGETS: dict[str, FollowTarget] = {}


def register(kind: str, target: FollowTarget) -> None:
    TARGETS[kind] = target


def target_describe(kind: str, target_id: int) -> tuple[str, str]:
    target = TARGETS.get(kind)
    described = target.describe(target_id) if target is not None else None
    if described is None:
        raise NotFound(_("Il n'y a rien à suivre à cette adresse."), code="follow_target_unknown")
    return described


def follow_set(*, user: User, kind: str, target_id: int, following: bool) -> Follow:
    """Follow or stop following (the row is kept either way: a signer who stops stays stopped)."""
    target_describe(kind, target_id)
    follow, _created = Follow.objects.update_or_create(
        user=user,
        target_kind=kind,
        target_id=target_id,
        defaults={"following": following, "changed_at": timezone.now()},
    )
    return follow


def is_following(user: User, kind: str, target_id: int) -> bool:
    row = Follow.objects.filter(user=user, target_kind=kind, target_id=target_id).first()
    if row is not None:
        return row.following
    implicit = TARGETS[kind].implicit if kind in TARGETS else None
    return bool(implicit and implicit(target_id).filter(pk=user.pk).exists())


def followers(kind: str, target_id: int) -> QuerySet[User]:
    rows = Follow.objects.filter(target_kind=kind, target_id=target_id)
    explicit = User.objects.filter(pk__in=rows.filter(following=True).values("user_id"))
    target = TARGETS.get(kind)
    if target is not None and target.implicit is not None:
        implicit = target.implicit(target_id).exclude(
            pk__in=rows.filter(following=False).values("user_id")
        )
        explicit = explicit | implicit
    return explicit.filter(is_active=True).distinct()


def follows_of(user: User) -> list[dict[str, object]]:
    """The user's explicit follows that are still public, for their page."""
    shown = []
    for row in Follow.objects.filter(user=user, following=True).order_by("-changed_at"):
        target = TARGETS.get(row.target_kind)
        described = target.describe(row.target_id) if target else None
        if described is not None:
            shown.append(
                {
                    "kind": row.target_kind,
                    "id": row.target_id,
                    "title": described[0],
                    "url": described[1],
                    "label": target.label if target else "",
                }
            )
    return shown


def broadcast(
    *,
    kind: str,
    target_id: int,
    notification_kind: str,
    subject: str,
    body: str,
    params: dict[str, object],
    exclude: list[int] | None = None,
) -> int:
    """Tell every follower. `subject` and `body` are French msgids (marked with gettext_noop at
    the call site) with `%(name)s` placeholders filled from `params` plus `title`; each is rendered
    once per language the followers use, and each follower gets it in theirs. The messages are
    written in bulk (a bounded number of statements however many follow) and delivered in batches
    on the bulk queue (civic.notifications.notify_all). Runs in a worker (an event's subscriber),
    never in a request."""
    target = TARGETS.get(kind)
    described = target.describe(target_id) if target is not None else None
    if described is None:  # not (or no longer) public: nobody is told
        return 0
    title, url = described
    recipients = followers(kind, target_id).exclude(pk__in=exclude or [])
    values = {**params, "title": title}
    languages = {settings.LANGUAGE_CODE, *recipients.order_by().values_list("language", flat=True)}
    texts = {}
    for language in languages:
        with translation.override(language or settings.LANGUAGE_CODE):
            texts[language] = (_(subject) % values, _(body) % values)
    with transaction.atomic():
        return notify_all(recipients=recipients, kind=notification_kind, texts=texts, url=url)


def preference_of(user: User) -> NotificationPreference:
    return NotificationPreference.objects.filter(user=user).first() or NotificationPreference(
        user=user, email=True, daily_digest=False
    )


def preference_set(*, user: User, email: bool, daily_digest: bool) -> NotificationPreference:
    pref, _created = NotificationPreference.objects.update_or_create(
        user=user,
        defaults={
            "email": email,
            "daily_digest": daily_digest and email,
            "changed_at": timezone.now(),
        },
    )
    return pref
