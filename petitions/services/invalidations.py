"""Invalidating signatures by criteria, in the background, with progress and undo (CIVIC-RULES,
"Invalidation"; the UK Parliament petitions site's invalidations are the model).

1. `invalidation_preview`: a moderator counts what the criteria match (a dry run; nothing written).
2. `invalidation_request`: the moderator confirms with the count they saw, a reason code and a note;
   the invalidation is recorded (pending), audited, and its job enqueued once the request commits.
3. `invalidation_run` (the job): takes the signatures matching at the instant it starts (ids up to
   the highest then), chunk by chunk; each chunk marks its rows, writes -1 per row to the count slots
   and moves the progress, in ONE transaction, so the count stays exact whatever signs, withdraws
   or folds meanwhile. Then the counts are folded and lost rungs suspend their obligations.
4. `invalidation_undo_request` / `invalidation_undo_run`: the same signatures come back, the same way.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from celery import current_app
from django.db import transaction
from django.db.models import F, Max, QuerySet
from django.db.models.functions import Least
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.audit import audit_record
from civic.errors import Conflict, DomainError, NotFound
from civic.models import User
from petitions import store
from petitions.models import (
    Channel,
    Invalidation,
    InvalidationReason,
    InvalidationState,
    Signature,
)
from petitions.services._common import get_initiative, require_moderator
from petitions.services.counting import counts_tick
from petitions.services.invalidation_criteria import (
    criteria_annotations,
    criteria_clean,
    criteria_q,
)
from petitions.services.rung_loss import obligations_suspend_lost
from petitions.services.signatures.plan import count_slot

RUN_TASK = "petitions.tasks.run_invalidation"
UNDO_TASK = "petitions.tasks.undo_invalidation"
CHUNK = 1000


def matching(initiative_id: int, criteria: dict[str, Any]) -> QuerySet[Signature]:
    """The initiative's counted signatures that match every criterion (criteria already clean)."""
    return (
        Signature.objects.filter(initiative_id=initiative_id, invalidation__isnull=True)
        .annotate(**criteria_annotations(criteria))
        .filter(criteria_q(criteria))
    )


def invalidation_preview(*, initiative_id: int, criteria: dict[str, Any], actor: User) -> int:
    """How many counted signatures the criteria match now. Writes nothing."""
    require_moderator(actor)
    get_initiative(initiative_id)
    return matching(initiative_id, criteria_clean(criteria)).count()


def invalidation_request(
    *,
    initiative_id: int,
    criteria: dict[str, Any],
    reason: str,
    note: str = "",
    expected: int | None,
    actor: User,
) -> Invalidation:
    """Record the invalidation and enqueue its job. `expected` is the dry-run count the moderator
    confirmed: if the criteria match another number now, nothing is recorded (409), so no one
    invalidates more than they saw."""
    require_moderator(actor)
    get_initiative(initiative_id)
    if reason not in InvalidationReason.values:
        raise DomainError(_("Motif d'invalidation inconnu."), code="invalidation_reason_unknown")
    cleaned = criteria_clean(criteria)
    with transaction.atomic():
        matched = matching(initiative_id, cleaned).count()
        if matched == 0:
            raise DomainError(
                _("Aucune signature comptée ne correspond à ces critères : rien n'est invalidé."),
                code="criteria_match_nothing",
            )
        if expected is not None and expected != matched:
            raise Conflict(
                _("Les critères visent maintenant %(n)s signatures : recomptez avant de confirmer.")
                % {"n": matched},
                code="invalidation_count_changed",
            )
        invalidation = Invalidation.objects.create(
            initiative_id=initiative_id,
            criteria=cleaned,
            reason=reason,
            note=note[:255],
            matched=matched,
            created_by=actor,
            created_at=timezone.now(),
        )
        # The criteria may name people: the log keeps which kinds were used, not their values.
        audit_record(
            actor=actor,
            verb="petitions.invalidation_request",
            target=invalidation,
            after={
                "initiative_id": initiative_id,
                "reason": reason,
                "criteria": sorted(cleaned),
                "matched": matched,
            },
        )
        current_app.tasks[RUN_TASK].delay_on_commit(invalidation.pk)
    return invalidation


def _chunk_apply(invalidation: Invalidation, ids: list[int]) -> int:
    """Mark one chunk and take it out of the count, with the progress (caller's transaction)."""
    marked = store.signatures_mark_invalidated(invalidation_id=invalidation.pk, signature_ids=ids)
    _slots_and_progress(invalidation, marked, sign=-1, seen=len(ids))
    return len(marked)


def _slots_and_progress(
    invalidation: Invalidation, rows: list[tuple[int, int, str]], *, sign: int, seen: int
) -> None:
    per_mask = Counter((initiative_id, mask) for initiative_id, mask, _c in rows)
    slot = count_slot()
    store.slots_add(sorted((i, m, slot, sign * n) for (i, m), n in per_mask.items()))
    channels = Counter(channel for _i, _m, channel in rows)
    Invalidation.objects.filter(pk=invalidation.pk).update(
        progress=Least(F("progress") + seen, F("matched")),
        removed_online=F("removed_online") - sign * channels[Channel.ONLINE],
        removed_paper=F("removed_paper") - sign * channels[Channel.PAPER],
    )


def _start(invalidation_id: int) -> Invalidation | None:
    """PENDING -> RUNNING, fixing the ids the job covers (acts once; a redelivered job resumes)."""
    with transaction.atomic():
        invalidation = Invalidation.objects.select_for_update().filter(pk=invalidation_id).first()
        if invalidation is None or invalidation.state not in (
            InvalidationState.PENDING,
            InvalidationState.RUNNING,
        ):
            return None
        if invalidation.state == InvalidationState.PENDING:
            scope = matching(invalidation.initiative_id, invalidation.criteria)
            upto = scope.aggregate(m=Max("id"))["m"] or 0
            invalidation.matched = scope.filter(id__lte=upto).count()
            invalidation.upto_signature_id = upto
            invalidation.state = InvalidationState.RUNNING
            invalidation.save(update_fields=["matched", "upto_signature_id", "state"])
        return invalidation


def invalidation_run(*, invalidation_id: int) -> int:
    """The job: invalidate, chunk by chunk, what the criteria match. Returns how many it removed."""
    invalidation = _start(invalidation_id)
    if invalidation is None:
        return 0
    scope = matching(invalidation.initiative_id, invalidation.criteria).filter(
        id__lte=invalidation.upto_signature_id or 0
    )
    after, removed = 0, 0
    while True:
        with transaction.atomic():
            store.invalidation_turn(invalidation.initiative_id)
            ids = list(
                scope.filter(id__gt=after).order_by("id").values_list("id", flat=True)[:CHUNK]
            )
            if not ids:
                break
            removed += _chunk_apply(invalidation, ids)
        after = ids[-1]
    with transaction.atomic():
        Invalidation.objects.filter(pk=invalidation.pk, state=InvalidationState.RUNNING).update(
            state=InvalidationState.DONE, applied_at=timezone.now(), progress=F("matched")
        )
        invalidation.refresh_from_db()
        audit_record(
            actor=None,
            verb="petitions.invalidation_applied",
            target=invalidation,
            after={
                "removed_online": invalidation.removed_online,
                "removed_paper": invalidation.removed_paper,
            },
        )
    _recount_rungs(invalidation.initiative_id)
    return removed


def _recount_rungs(initiative_id: int) -> None:
    """Publish the new count now (the tick would within seconds), then apply the rung rule."""
    counts_tick()
    obligations_suspend_lost(initiative_id=initiative_id)


def invalidation_undo_request(*, invalidation_id: int, actor: User) -> Invalidation:
    """Undo an applied invalidation: its signatures come back (job enqueued). Audited."""
    require_moderator(actor)
    with transaction.atomic():
        invalidation = Invalidation.objects.select_for_update().filter(pk=invalidation_id).first()
        if invalidation is None:
            raise NotFound(_("Invalidation introuvable."), code="invalidation_not_found")
        if invalidation.state != InvalidationState.DONE:
            raise Conflict(
                _("Seule une invalidation appliquée peut être annulée (état : %(state)s).")
                % {"state": invalidation.get_state_display()},
                code="invalidation_not_undoable",
            )
        invalidation.state = InvalidationState.UNDOING
        invalidation.undone_by = actor
        invalidation.matched = invalidation.removed
        invalidation.progress = 0
        invalidation.save(update_fields=["state", "undone_by", "matched", "progress"])
        audit_record(
            actor=actor,
            verb="petitions.invalidation_undo",
            target=invalidation,
            before={"state": InvalidationState.DONE},
            after={"state": InvalidationState.UNDOING, "to_restore": invalidation.removed},
        )
        current_app.tasks[UNDO_TASK].delay_on_commit(invalidation.pk)
    return invalidation


def invalidation_undo_run(*, invalidation_id: int) -> int:
    """The undo job: restore the signatures chunk by chunk (slots +1, progress), then recount."""
    invalidation = Invalidation.objects.filter(
        pk=invalidation_id, state=InvalidationState.UNDOING
    ).first()
    if invalidation is None:
        return 0
    restored = 0
    while True:
        with transaction.atomic():
            store.invalidation_turn(invalidation.initiative_id)
            rows = store.signatures_restore(invalidation_id=invalidation.pk, limit=CHUNK)
            if not rows:
                break
            _slots_and_progress(invalidation, rows, sign=+1, seen=len(rows))
            restored += len(rows)
    with transaction.atomic():
        Invalidation.objects.filter(pk=invalidation.pk, state=InvalidationState.UNDOING).update(
            state=InvalidationState.UNDONE, undone_at=timezone.now()
        )
        audit_record(
            actor=None,
            verb="petitions.invalidation_undone",
            target=invalidation,
            after={"restored": restored},
        )
    counts_tick()  # reinstates the obligations whose rung is reached again
    return restored
