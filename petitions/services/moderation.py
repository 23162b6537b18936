"""A moderator suspends or unpublishes a public initiative with a public reason, and reinstates
it (docs/civic-rules.md, "Moderation"). Through the moderation table (`workflow`), audited, dated
in the initiative's public history, told to its people and followers.

Suspended: the page stays public with the reason and the date; collection stands still.
Unpublished: the page shows only a notice with the reason (its text withdrawn from the public, for
unlawful content); collection stands still. Reinstated: as before; a collection that stood still
only because of the moderation resumes, its closing instant moved by the time it stood.
Signatures already collected stay and keep counting."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.errors import Conflict
from civic.models import User
from petitions.models import ChangeKind, Initiative, Moderation, Status
from petitions.rules import is_public
from petitions.services._common import lock_initiative, require_moderator
from petitions.services.collection import (
    change_record,
    collection_suspended_by_staff,
    public_reason,
    window_pause,
    window_resume,
)
from petitions.services.transitions import moderation_move

KINDS = {
    Moderation.SUSPENDED: ChangeKind.SUSPENDED,
    Moderation.UNPUBLISHED: ChangeKind.UNPUBLISHED,
    Moderation.PUBLIC: ChangeKind.REINSTATED,
}


def initiative_moderate(*, initiative_id: int, actor: User, target: str, reason: str) -> Initiative:
    """Move a public initiative to `target` (Moderation), with its public reason."""
    require_moderator(actor)
    reason = public_reason(reason)
    with transaction.atomic():
        now = timezone.now()
        initiative = lock_initiative(initiative_id)
        if not is_public(published_at=initiative.published_at, status=initiative.status):
            raise Conflict(
                _("Seule une initiative publique peut être suspendue ou dépubliée."),
                code="initiative_not_public",
            )
        before = moderation_move(initiative, target, now=now, reason=reason)
        if initiative.status == Status.COLLECTING:
            if target == Moderation.PUBLIC:
                if not collection_suspended_by_staff(initiative):
                    window_resume(initiative, now=now)
            else:
                window_pause(initiative, now=now)
        change_record(
            initiative,
            kind=KINDS[Moderation(target)],
            actor=actor,
            reason=reason,
            now=now,
            before=before,
        )
    return initiative


def initiative_suspend(*, initiative_id: int, actor: User, reason: str) -> Initiative:
    return initiative_moderate(
        initiative_id=initiative_id, actor=actor, target=Moderation.SUSPENDED, reason=reason
    )


def initiative_unpublish(*, initiative_id: int, actor: User, reason: str) -> Initiative:
    return initiative_moderate(
        initiative_id=initiative_id, actor=actor, target=Moderation.UNPUBLISHED, reason=reason
    )


def initiative_reinstate(*, initiative_id: int, actor: User, reason: str) -> Initiative:
    return initiative_moderate(
        initiative_id=initiative_id, actor=actor, target=Moderation.PUBLIC, reason=reason
    )
