"""The one way an initiative changes status: through the transition table (`workflow.ALLOWED`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from civic.errors import InvalidTransition
from petitions.models import Initiative, Moderation, Status
from petitions.workflow import STAMPED, can_moderate, can_transition, sources_of


def transition_check(initiative: Initiative, target: str) -> None:
    """InvalidTransition unless the table allows the initiative's current status to go to `target`."""
    if not can_transition(initiative.status, target):
        raise InvalidTransition(
            _("Impossible de passer de « %(from)s » à « %(to)s ».")
            % {"from": Status(initiative.status).label, "to": Status(target).label}
        )


def initiative_move(
    initiative: Initiative, target: str, *, now: datetime, **fields: Any
) -> dict[str, Any]:
    """A person's transition, on the row the caller locked: check the table, set the status, its
    timestamp, `updated_at` and any other `fields`, save. Returns the state before (for the audit)."""
    transition_check(initiative, target)
    before = {"status": initiative.status}
    initiative.status = target
    setattr(initiative, STAMPED[target], now)
    initiative.updated_at = now
    for name, value in fields.items():
        setattr(initiative, name, value)
    initiative.save()
    return before


def initiative_move_where(initiative_id: int, target: str, *, when: Q, now: datetime) -> bool:
    """A system transition: a guarded UPDATE from any status the table allows to reach `target`,
    on the rows that also match `when`. True for the one caller whose UPDATE changed the row,
    however many workers raced."""
    moved = Initiative.objects.filter(when, pk=initiative_id, status__in=sources_of(target)).update(
        status=target, updated_at=now, **{STAMPED[target]: now}
    )
    return bool(moved)


def moderation_move(
    initiative: Initiative, target: str, *, now: datetime, reason: str
) -> dict[str, Any]:
    """A moderator's change of what the public sees (`workflow.MODERATION_ALLOWED`), on the row
    the caller locked: check the table, set the moderation, its instant and public reason. The
    caller saves. Returns the state before (for the audit)."""
    if not can_moderate(initiative.moderation, target):
        raise InvalidTransition(
            _("Impossible de passer de « %(from)s » à « %(to)s ».")
            % {"from": Moderation(initiative.moderation).label, "to": Moderation(target).label},
            code="moderation_invalid_transition",
        )
    before = {
        "moderation": initiative.moderation,
        "closes_at": initiative.closes_at,
        "collection_paused_at": initiative.collection_paused_at,
    }
    initiative.moderation = target
    initiative.moderated_at = None if target == Moderation.PUBLIC else now
    initiative.moderation_reason = "" if target == Moderation.PUBLIC else reason
    initiative.updated_at = now
    return before
