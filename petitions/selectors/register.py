"""The public register of rejected signatures, and the invalidations staff follow.

The register lists every rejection of an initiative, online and paper, by reason and date, with no
identity: paper lines refused at entry, signatures of an annulled registration, invalidated
signatures (while their invalidation stands). Its totals reconcile: accepted (the exact count: the
published count plus the deltas not yet folded) + rejected = received. No COUNT(*) over the
signatures: every figure comes from a table of rejections or from the count slots.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from civic.errors import NotFound
from petitions.models import (
    TOTAL_TRACK,
    AnnulledSignature,
    AnnulmentReason,
    Channel,
    InitiativeCount,
    Invalidation,
    InvalidationReason,
    InvalidationState,
    PaperRejection,
    PaperRejectionReason,
    SignatureCountSlot,
)

# Invalidations whose signatures are out of the count (an undo in progress still counts until done).
STANDING = (InvalidationState.RUNNING, InvalidationState.DONE, InvalidationState.UNDOING)


def invalidations_of(*, initiative_id: int) -> list[Invalidation]:
    return list(
        Invalidation.objects.filter(initiative_id=initiative_id).order_by("-created_at", "-id")
    )


def invalidation_get(*, invalidation_id: int) -> Invalidation:
    found = Invalidation.objects.filter(pk=invalidation_id).first()
    if found is None:
        raise NotFound("Invalidation introuvable.", code="invalidation_not_found")
    return found


@dataclass
class RejectionRegister:
    initiative_id: int
    accepted: int
    published_count: int
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return sum(r["count"] for r in self.rows)

    def rejected_in(self, channel: str) -> int:
        return sum(r["count"] for r in self.rows if r["channel"] == channel)

    def as_dict(self) -> dict[str, Any]:
        return {
            "initiative": self.initiative_id,
            "received": self.accepted + self.rejected,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "published_count": self.published_count,
            "rejected_by_channel": {c.value: self.rejected_in(c.value) for c in Channel},
            "rows": self.rows,
        }


def _exact_count(initiative_id: int) -> tuple[int, int]:
    """(published count, published count + pending slot deltas) of the total track."""
    published = (
        InitiativeCount.objects.filter(initiative_id=initiative_id, track=TOTAL_TRACK)
        .values_list("count", flat=True)
        .first()
    ) or 0
    pending = (
        SignatureCountSlot.objects.filter(initiative_id=initiative_id).aggregate(d=Sum("delta"))[
            "d"
        ]
        or 0
    )
    return published, published + pending


def _paper_rows(initiative_id: int) -> list[tuple[date, str, str, str, int]]:
    found = (
        PaperRejection.objects.filter(initiative_id=initiative_id)
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day", "reason")
        .annotate(n=Count("id"))
    )
    return [(r["day"], Channel.PAPER, "paper_entry", r["reason"], r["n"]) for r in found]


def _annulled_rows(initiative_id: int) -> list[tuple[date, str, str, str, int]]:
    found = (
        AnnulledSignature.objects.filter(initiative_id=initiative_id)
        .annotate(day=TruncDate("annulled_at", tzinfo=timezone.get_current_timezone()))
        .values("day", "channel", "reason")
        .annotate(n=Count("id"))
    )
    return [(r["day"], r["channel"], "annulment", r["reason"], r["n"]) for r in found]


def _invalidated_rows(initiative_id: int) -> list[tuple[date, str, str, str, int]]:
    per: dict[tuple[date, str, str], int] = defaultdict(int)
    for inv in Invalidation.objects.filter(initiative_id=initiative_id, state__in=STANDING):
        day = timezone.localdate(inv.applied_at or inv.created_at)
        per[(day, Channel.ONLINE, inv.reason)] += inv.removed_online
        per[(day, Channel.PAPER, inv.reason)] += inv.removed_paper
    return [(d, c, "invalidation", r, n) for (d, c, r), n in per.items() if n]


_LABELS = {
    "paper_entry": dict(PaperRejectionReason.choices),
    "annulment": dict(AnnulmentReason.choices),
    "invalidation": dict(InvalidationReason.choices),
}


def rejection_register(*, initiative_id: int) -> RejectionRegister:
    published, exact = _exact_count(initiative_id)
    found = [
        *_paper_rows(initiative_id),
        *_annulled_rows(initiative_id),
        *_invalidated_rows(initiative_id),
    ]
    found.sort(key=lambda r: (r[0], r[1], r[2], r[3]), reverse=True)
    register = RejectionRegister(initiative_id, accepted=exact, published_count=published)
    register.rows = [
        {
            "date": day,
            "channel": channel,
            "kind": kind,
            "reason": reason,
            "reason_label": str(_LABELS[kind].get(reason, reason)),
            "count": n,
        }
        for day, channel, kind, reason, n in found
    ]
    return register
