"""Helpers shared by the services: locking, permission checks, notifying the people concerned."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, connection
from django.utils.functional import Promise

from civic.errors import NotFound
from civic.models import User
from civic.notifications import notify
from civic.roles import Role
from petitions.models import Initiative


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
    """The name of the constraint behind an IntegrityError, on PostgreSQL and SQLite alike."""
    cause: Any = exc.__cause__
    diag = getattr(cause, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None):
        return str(diag.constraint_name)
    message = str(exc)
    if connection.vendor == "sqlite":
        # "UNIQUE constraint failed: petitions_signature.initiative_id, petitions_signature.x"
        columns = message.rsplit(":", 1)[-1]
        names = {part.strip().rsplit(".", 1)[-1] for part in columns.split(",")}
        known = {
            frozenset({"initiative_id", "register_entry_id"}): "signature_one_per_entry",
            frozenset({"initiative_id", "identity_hash"}): "signature_one_per_identity",
            frozenset({"register_entry_id", "quarter_key"}): "signature_one_request_per_quarter",
        }
        return known.get(frozenset(names), message)
    return message
