"""Retention of signature identities (CIVIC-RULES, personal data).

Once an initiative's collection ended (closed, withdrawn or rejected) longer ago than the longest
retention period of its instruments, and none of its obligations is still open, who signed is
deleted: the signature rows (register entry, identity hash, facts) and the register links of paper
rejections. What was published stays: the counts (InitiativeCount), the rungs reached and the
obligations, and the counts of rejections per reason. Each purge is audited with counts only.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from civic.audit import audit_record
from petitions.models import (
    Initiative,
    InitiativeTrack,
    Obligation,
    ObligationStatus,
    PaperRejection,
    Signature,
    Status,
)

_ENDED = Q(status=Status.CLOSED) | Q(status=Status.WITHDRAWN) | Q(status=Status.REJECTED)


def _ended_at(initiative: Initiative) -> datetime | None:
    return initiative.closed_at or initiative.withdrawn_at or initiative.rejected_at


def signatures_purge_due(*, limit: int = 200) -> int:
    """Purge every initiative past its period. Returns how many this call purged; a second run, or a
    racing worker, finds nothing left (the DELETE under the row lock is its own guard)."""
    now = timezone.now()
    holding = Initiative.objects.filter(_ENDED).filter(
        Q(pk__in=Signature.objects.values("initiative_id"))
        | Q(
            pk__in=PaperRejection.objects.filter(register_entry__isnull=False).values(
                "initiative_id"
            )
        )
    )
    waiting = Obligation.objects.filter(status=ObligationStatus.OPEN).values("initiative_id")
    retention = dict(
        InitiativeTrack.objects.filter(initiative__in=holding)
        .values("initiative_id")
        .annotate(days=Max("instrument_type__retention_days"))
        .values_list("initiative_id", "days")
    )
    purged = 0
    for initiative in holding.exclude(pk__in=waiting).order_by("pk")[:limit]:
        ended = _ended_at(initiative)
        days = retention.get(initiative.pk)
        if ended is None or days is None or now < ended + timedelta(days=days):
            continue
        with transaction.atomic():
            Initiative.objects.select_for_update().filter(pk=initiative.pk).first()
            deleted, _detail = Signature.objects.filter(initiative_id=initiative.pk).delete()
            unlinked = PaperRejection.objects.filter(
                initiative_id=initiative.pk, register_entry__isnull=False
            ).update(register_entry=None)
            if not deleted and not unlinked:
                continue  # another worker purged it first
            audit_record(
                actor=None,
                verb="initiative.signatures_purged",
                target=initiative,
                after={
                    "signatures": deleted,
                    "rejections_unlinked": unlinked,
                    "retention_days": days,
                },
            )
        purged += 1
    return purged
