"""The stable interface other apps call (the assembly consumes "assembly_agenda" obligations).

No other module of this app is a contract: import only from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from petitions.models import Obligation, ObligationKind, ObligationStatus
from petitions.services.obligations import obligation_complete as _obligation_complete

__all__ = ["ObligationKind", "ReachedObligation", "obligation_complete", "reached_obligations"]


@dataclass(frozen=True)
class ReachedObligation:
    obligation_id: int
    initiative_id: int
    initiative_title: str
    initiative_url: str
    kind: str
    reached_at: datetime
    initiator_user_ids: list[int]  # the initiator first, then the promoters who co-signed


def reached_obligations(*, kind: str) -> list[ReachedObligation]:
    """OPEN obligations of `kind` (an `ObligationKind` value), oldest crossing first."""
    rows = (
        Obligation.objects.filter(kind=kind, status=ObligationStatus.OPEN)
        .select_related("initiative")
        .prefetch_related("initiative__promoters")
        .order_by("created_at", "id")
    )
    result = []
    for obligation in rows:
        initiative = obligation.initiative
        promoters = [
            p.user_id
            for p in initiative.promoters.all()
            if p.cosigned_at is not None and p.user_id != initiative.initiator_id
        ]
        result.append(
            ReachedObligation(
                obligation_id=obligation.pk,
                initiative_id=initiative.pk,
                initiative_title=initiative.title,
                initiative_url=initiative.get_absolute_url(),
                kind=obligation.kind,
                reached_at=obligation.created_at,
                initiator_user_ids=[initiative.initiator_id, *promoters],
            )
        )
    return result


def obligation_complete(*, obligation_id: int, actor: Any, evidence: str) -> None:
    """Mark the obligation done with its evidence (a link or a text). Raises civic.errors
    DomainError subclasses: `obligation_not_found`, `obligation_already_done`, `evidence_required`,
    `permission_denied` (the actor must be a moderator or the assembly clerk)."""
    _obligation_complete(obligation_id=obligation_id, actor=actor, evidence=evidence)
