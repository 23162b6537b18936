"""What one signature will record: the tracks it counts on, their mask, the quarter key."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import date, datetime

from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.eligibility import eligibility_facts
from civic.errors import NotEligible, RuleViolation
from civic.models import RegisterEntry, User
from petitions.models import COUNT_SLOTS, Signature
from petitions.rules import track_decisions
from petitions.services.signatures.state import TrackInfo
from petitions.store import SignatureRow


def quarter_key(*, scope: str, on: date) -> str:
    return f"{scope}:{on.year}Q{(on.month - 1) // 3 + 1}"


def count_slot() -> int:
    """The slot this thread writes to: fixed per process and thread, so per database connection.
    Two signatures from one connection never run at once, so they need no separate rows: writers
    that can collide (different connections) get different slots, and a fold finds at most one row
    per writing connection and track instead of one per signature."""
    return hash((os.getpid(), threading.get_ident())) % COUNT_SLOTS


def track_mask(tracks: list[TrackInfo]) -> int:
    mask = 0
    for t in tracks:
        mask |= 1 << t.position
    return mask


@dataclass
class Plan:
    tracks: list[TrackInfo]
    mask: int
    quarter_key: str | None
    facts: dict[str, bool]


def plan_for(entry: RegisterEntry, tracks: list[TrackInfo], *, now: datetime) -> Plan:
    """Which tracks this entry counts on, after eligibility (`rules.track_decisions`); the quarter
    key if one is limited. NotEligible when no track takes the signer."""
    today = timezone.localdate(now)
    decisions = track_decisions(entry, [t.predicate for t in tracks], on=today)
    eligible = [t for t, d in zip(tracks, decisions, strict=True) if d.eligible]
    if not eligible:
        first = decisions[0]
        raise NotEligible(
            _("Vous ne remplissez les conditions d'aucun volet de cette initiative."),
            code=f"not_eligible_{first.code}" if first.code != "eligible" else "not_eligible",
            rule=", ".join(sorted({d.rule for d in decisions})),
        )
    # The quarter limit is not read here: the signature is written with its quarter key and the
    # database's unique constraint answers (see `record`). Most signers have not used their
    # request of the quarter, and the check would cost a query on every signature.
    limited = [t for t in eligible if t.quarter_limit]
    key = quarter_key(scope=limited[0].collectivity, on=today) if limited else None
    return Plan(eligible, track_mask(eligible), key, eligibility_facts(entry, on=today))


def without_quarter(plan: Plan) -> Plan:
    """The quarter limit removes only the legal track for this signer: the signature still counts
    on the charter track. With no track left, the signature is refused and the article named."""
    remaining = [t for t in plan.tracks if not t.quarter_limit]
    if not remaining:
        limited = [t for t in plan.tracks if t.quarter_limit]
        raise RuleViolation(
            _("Vous avez déjà signé une demande de ce type ce trimestre."),
            code="quarter_limit",
            rule=limited[0].quarter_limit_rule,
        )
    return Plan(remaining, track_mask(remaining), None, plan.facts)


_FACTS = Signature._meta.get_field("facts")


def signature_row(
    *,
    initiative_id: int,
    entry: RegisterEntry,
    plan: Plan,
    channel: str,
    now: datetime,
    entered_by: User | None,
    connection: BaseDatabaseWrapper,
    ip: str | None = None,
) -> SignatureRow:
    """The columns of the signature row, in the store's order."""
    return (
        initiative_id,
        entry.pk,
        entry.identity_hash,
        channel,
        now,
        plan.mask,
        _FACTS.get_db_prep_save(plan.facts, connection),
        entry.district_id,
        plan.quarter_key,
        entered_by.pk if entered_by is not None else None,
        ip,
    )
