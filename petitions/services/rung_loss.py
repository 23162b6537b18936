"""A rung reached, then lost (CIVIC-RULES, "Invalidation"; docs/civic-rules.md).

When an invalidation takes the count of a track below the threshold of a rung it had reached, that
rung's obligation, if not yet met, is suspended with a public reason and date; it is reinstated
(open again, its due date moved by the time it stood suspended) once the count is back at the
threshold, whether by undo or by new signatures. An obligation already met stays met. The rung's
`reached_at` is a fact of the past and stays; it is never reached "a second time".
Withdrawals do not suspend: only an invalidation does (the rule speaks of invalidated signatures).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy, gettext_noop

from civic.audit import audit_record
from petitions import store
from petitions.models import Obligation, ObligationStatus
from petitions.services._common import moderators, notify_all, people_of

# Stored in French, shown translated (the page translates it by its msgid).
SUSPENSION_REASON = gettext_noop(
    "Le nombre de signatures valides est repassé sous le seuil après une invalidation."
)


def _track_counts(initiative_id: int) -> dict[int, int]:
    return {track: count for track, count, _u in store.published_count_rows(initiative_id)}


def obligations_suspend_lost(*, initiative_id: int) -> list[int]:
    """Suspend the open obligations of this initiative whose rung the published count no longer
    reaches. Guarded UPDATE per obligation (acts once); audited; the people told."""
    counts = _track_counts(initiative_id)
    suspended: list[int] = []
    candidates = Obligation.objects.filter(
        initiative_id=initiative_id, status=ObligationStatus.OPEN
    ).select_related("track_rung__track")
    for obligation in candidates.order_by("id"):
        rung = obligation.track_rung
        count = counts.get(rung.track.position, 0)
        if count >= rung.threshold:
            continue
        with transaction.atomic():
            now = timezone.now()
            if not Obligation.objects.filter(pk=obligation.pk, status=ObligationStatus.OPEN).update(
                status=ObligationStatus.SUSPENDED,
                suspended_at=now,
                suspension_reason=SUSPENSION_REASON,
            ):
                continue
            audit_record(
                actor=None,
                verb="obligation.suspended",
                target=obligation,
                before={"status": ObligationStatus.OPEN},
                after={
                    "status": ObligationStatus.SUSPENDED,
                    "count": count,
                    "threshold": rung.threshold,
                },
            )
            _tell(obligation, suspended=True)
        suspended.append(obligation.pk)
    return suspended


def obligations_reinstate(*, initiative_ids: Iterable[int]) -> list[int]:
    """Reinstate the suspended obligations whose rung the published count reaches again. Runs on
    every count tick for the initiatives the fold touched: the partial index of suspended
    obligations makes it one cheap probe when none is suspended (the usual case)."""
    ids = list(initiative_ids)
    if not ids:
        return []
    reinstated: list[int] = []
    suspended = Obligation.objects.filter(
        status=ObligationStatus.SUSPENDED, initiative_id__in=ids
    ).select_related("track_rung__track")
    for obligation in list(suspended.order_by("id")):
        rung = obligation.track_rung
        count = _track_counts(obligation.initiative_id).get(rung.track.position, 0)
        if count < rung.threshold:
            continue
        with transaction.atomic():
            now = timezone.now()
            assert obligation.suspended_at is not None
            due_at = obligation.due_at + (now - obligation.suspended_at)
            if not Obligation.objects.filter(
                pk=obligation.pk, status=ObligationStatus.SUSPENDED
            ).update(status=ObligationStatus.OPEN, suspended_at=None, due_at=due_at):
                continue
            audit_record(
                actor=None,
                verb="obligation.reinstated",
                target=obligation,
                before={"status": ObligationStatus.SUSPENDED, "due_at": obligation.due_at},
                after={"status": ObligationStatus.OPEN, "count": count, "due_at": due_at},
            )
            _tell(obligation, suspended=False)
        reinstated.append(obligation.pk)
    return reinstated


def _tell(obligation: Obligation, *, suspended: bool) -> None:
    initiative = obligation.initiative
    if suspended:
        subject = gettext_lazy("Un engagement de la ville est suspendu")
        body = format_lazy(
            gettext_lazy(
                "Après une invalidation de signatures, l'initiative « {title} » est repassée sous un seuil : l'engagement est suspendu jusqu'à ce que le compte le dépasse de nouveau."
            ),
            title=initiative.title,
        )
    else:
        subject = gettext_lazy("Un engagement de la ville est rétabli")
        body = format_lazy(
            gettext_lazy(
                "L'initiative « {title} » a de nouveau atteint le seuil : l'engagement est rétabli."
            ),
            title=initiative.title,
        )
    notify_all(
        [*people_of(initiative), *moderators()],
        kind="petitions.obligation_suspended" if suspended else "petitions.obligation_reinstated",
        subject=subject,
        body=body,
        url=initiative.get_absolute_url(),
    )
