"""Writing one signature: the one signing statement, and what a refusal by a constraint means.

The database is the guard:
- one signature per register entry and per identity hash (online and paper share the table);
- one quarter-limited request per entry and per quarter (a partial unique index);
- "collection is open" (`rules.collection_open`) is evaluated inside the statement that records
  the signature, so no scheduler delay ever lets a signature in at or after the closing instant;
  so is "the signer is not struck off the register".
Counting never touches the initiative row: the same statement upserts +1 on one of 16 slot rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.utils.translation import gettext as _

from civic.errors import NotEligible
from civic.models import RegisterEntry, User
from petitions import store
from petitions.services._common import violated_constraint
from petitions.services.signatures.plan import (
    Plan,
    count_slot,
    plan_for,
    signature_row,
    without_quarter,
)
from petitions.services.signatures.state import TrackInfo, collection_closed, open_memo_forget

DUPLICATE_CONSTRAINTS = frozenset({"signature_one_per_entry", "signature_one_per_identity"})
QUARTER_CONSTRAINT = "signature_one_request_per_quarter"


def struck_off() -> NotEligible:
    """The signer was struck off the register after their entry was read (CIVIC-RULES,
    "Strike-offs": from the strike-off on, the person can no longer sign)."""
    return NotEligible(
        _("Votre inscription au registre a été radiée : vous ne pouvez plus signer."),
        code="not_eligible_inactive_entry",
        rule="CIVIC-RULES, radiations",
    )


@dataclass(frozen=True)
class Recorded:
    signature_id: int | None  # None: a signature already existed
    plan: Plan


def _write(
    *,
    initiative_id: int,
    entry: RegisterEntry,
    plan: Plan,
    channel: str,
    now: datetime,
    entered_by: User | None,
    ip: str | None,
) -> int | None:
    """Run the signing statement. In autocommit it is its own transaction; inside the caller's
    transaction it runs in a savepoint, so the caller's work survives a refusal."""
    conn = connections[DEFAULT_DB_ALIAS]  # once: each use of the `connection` proxy looks it up
    row = signature_row(
        initiative_id=initiative_id,
        entry=entry,
        plan=plan,
        channel=channel,
        now=now,
        entered_by=entered_by,
        connection=conn,
        ip=ip,
    )
    if conn.in_atomic_block:
        with transaction.atomic():
            return store.signature_insert_counted(row, slot=count_slot())
    return store.signature_insert_counted(row, slot=count_slot())


def _refusal_means(
    exc: IntegrityError, *, initiative_id: int, entry: RegisterEntry, plan: Plan
) -> tuple[bool, Plan]:
    """After a unique constraint refused the write: (write again?, the plan to answer with).

    Either this elector signed here already, or their request of the quarter went to another
    initiative (or both: the database names only one constraint). The answer to a repeated
    signature must be the first one's, so find out which."""
    name = violated_constraint(exc)
    if name not in DUPLICATE_CONSTRAINTS and name != QUARTER_CONSTRAINT:
        raise exc
    elsewhere = plan.quarter_key is not None and store.quarter_used_elsewhere(
        register_entry_id=entry.pk, quarter_key=plan.quarter_key, initiative_id=initiative_id
    )
    if elsewhere:
        plan = without_quarter(plan)  # drop the legal track; refused if no track remains
    return name == QUARTER_CONSTRAINT and elsewhere, plan


def record(
    *,
    initiative_id: int,
    entry: RegisterEntry,
    tracks: list[TrackInfo],
    channel: str,
    now: datetime,
    entered_by: User | None,
    ip: str | None = None,
) -> Recorded:
    """Record one signature; the same answer for a repeated one. Conflict when collection is not
    open at `now`, NotEligible or RuleViolation (quarter limit) from the plan."""
    plan = plan_for(entry, tracks, now=now)
    for _attempt in range(2):
        try:
            new_id = _write(
                initiative_id=initiative_id,
                entry=entry,
                plan=plan,
                channel=channel,
                now=now,
                entered_by=entered_by,
                ip=ip,
            )
        except IntegrityError as exc:
            again, plan = _refusal_means(exc, initiative_id=initiative_id, entry=entry, plan=plan)
            if again:
                continue  # write it again without the quarter key
            return Recorded(None, plan)  # already signed: the same answer as the first time
        if new_id is None:
            if not RegisterEntry.objects.filter(pk=entry.pk, active=True).exists():
                raise struck_off()
            open_memo_forget(initiative_id)
            raise collection_closed()
        return Recorded(new_id, plan)
    raise AssertionError("unreachable: the second attempt has no quarter key")
