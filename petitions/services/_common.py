"""Helpers shared by the services: locking, permission checks, notifying the people concerned."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from celery import current_app
from django.db import IntegrityError
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from civic.errors import NotFound, PermissionDenied
from civic.models import User
from civic.notifications import notify
from civic.roles import Role
from petitions.models import Initiative, Promoter
from petitions.rules import is_initiator, is_moderator

NOTIFY_SIGNERS_TASK = "petitions.tasks.notify_signers"


def lock_initiative(initiative_id: int) -> Initiative:
    """Lock the row for a person's action. FOR NO KEY UPDATE (not FOR UPDATE): it does not conflict
    with the key-share locks that signature inserts take, so a transition never waits for signers."""
    query = Initiative.objects.select_for_update(of=("self",), no_key=True)
    try:
        return query.get(pk=initiative_id)
    except Initiative.DoesNotExist:
        raise NotFound("Initiative introuvable.", code="initiative_not_found") from None


def get_initiative(initiative_id: int) -> Initiative:
    try:
        return Initiative.objects.get(pk=initiative_id)
    except Initiative.DoesNotExist:
        raise NotFound("Initiative introuvable.", code="initiative_not_found") from None


def require_initiator(actor: User, initiative: Initiative) -> None:
    if not is_initiator(actor, initiative):
        raise PermissionDenied(_("Seule la personne qui a lancé l'initiative peut faire cela."))


def require_moderator(actor: User) -> None:
    if not is_moderator(actor):
        raise PermissionDenied(_("Cette action est réservée aux modérateurs."))


def signers_notify_later(initiative_id: int, kind: str) -> None:
    """Enqueue, once the transaction commits, the task that tells the signers. Looked up by name:
    the tasks module imports the services, never the other way round."""
    current_app.tasks[NOTIFY_SIGNERS_TASK].delay_on_commit(initiative_id, kind)


def people_of(initiative: Initiative) -> list[User]:
    """The initiator and the promoters who co-signed: the people a change is reported to."""
    users = list(
        User.objects.filter(
            promoted_initiatives__initiative=initiative,
            promoted_initiatives__cosigned_at__isnull=False,
            is_active=True,
        ).exclude(pk=initiative.initiator_id)
    )
    return [initiative.initiator, *users]


def promoter_ids(initiative: Initiative) -> list[int]:
    """The promoters who co-signed, other than the initiator, in the order they were invited."""
    return list(
        Promoter.objects.filter(initiative=initiative, cosigned_at__isnull=False)
        .exclude(user_id=initiative.initiator_id)
        .order_by("invited_at", "id")
        .values_list("user_id", flat=True)
    )


def moderators() -> list[User]:
    return list(User.objects.filter(groups__name=Role.MODERATOR, is_active=True).distinct())


def notify_all(
    users: Iterable[User], *, kind: str, subject: str | Promise, body: str | Promise, url: str
) -> None:
    seen: set[int] = set()
    for user in users:
        if user.pk in seen:
            continue
        seen.add(user.pk)
        notify(recipient=user, kind=kind, subject=subject, body=body, url=url)  # type: ignore[arg-type]


def violated_constraint(exc: IntegrityError) -> str:
    """The name of the constraint behind an IntegrityError (psycopg's diagnostics)."""
    cause: Any = exc.__cause__
    diag = getattr(cause, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None):
        return str(diag.constraint_name)
    return str(exc)
