"""Signing, withdrawing and paper entry.

The database is the guard:
- one signature per register entry and per identity hash (online and paper share the table);
- one quarter-limited request per entry and per quarter (a partial unique index);
- "collecting and closes_at > now" is evaluated inside the INSERT that records the signature, so no
  scheduler delay ever lets a signature in at or after the closing instant.
Counting never touches the initiative row: the same transaction upserts +1 on one of 16 slot rows.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.audit import audit_record
from civic.eligibility import decide, eligibility_facts
from civic.errors import (
    Conflict,
    NotEligible,
    NotFound,
    NotVerified,
    PermissionDenied,
    RuleViolation,
)
from civic.identity import identity_hash as compute_identity_hash
from civic.models import RegisterEntry, User
from civic.perf import prepared_cursor
from petitions.models import (
    COUNT_SLOTS,
    Channel,
    InitiativeTrack,
    PaperRejection,
    PaperRejectionReason,
    Signature,
    SignatureCountSlot,
    Status,
)
from petitions.rules import is_moderator
from petitions.services._common import violated_constraint

_ENTRY_FIELDS = ("id", "kind", "birth_date", "active", "identity_hash", "district_id")
DUPLICATE_CONSTRAINTS = frozenset({"signature_one_per_entry", "signature_one_per_identity"})
QUARTER_CONSTRAINT = "signature_one_request_per_quarter"


@dataclass(frozen=True)
class TrackInfo:
    position: int
    predicate: str
    slug: str
    quarter_limit: bool
    quarter_limit_rule: str
    collectivity: str


@dataclass(frozen=True)
class SignOutcome:
    """The answer to a signing request: identical for a first and for a repeated signature."""

    initiative_id: int
    tracks: list[str] = field(default_factory=list)


def quarter_key(*, scope: str, on: date) -> str:
    return f"{scope}:{on.year}Q{(on.month - 1) // 3 + 1}"


# Tracks never change once collection opens, so each process remembers them for five minutes
# for collecting initiatives only: the INSERT's own guard stays the authority on "open", so a
# remembered "collecting" can never let a signature in after a close or a withdrawal.
_OPEN_MEMO: dict[int, tuple[float, tuple[list[TrackInfo], str, datetime | None]]] = {}
_OPEN_MEMO_SECONDS = 300.0


def open_memo_forget() -> None:
    _OPEN_MEMO.clear()


def _tracks_and_state(
    initiative_id: int, *, fresh: bool = False
) -> tuple[list[TrackInfo], str, datetime | None]:
    memo = None if fresh else _OPEN_MEMO.get(initiative_id)
    if memo is not None and memo[0] > time.monotonic():
        return memo[1]
    rows = list(
        InitiativeTrack.objects.filter(initiative_id=initiative_id)
        .order_by("position")
        .values_list(
            "position",
            "predicate",
            "instrument_type__slug",
            "instrument_type__quarter_limit",
            "instrument_type__quarter_limit_rule",
            "instrument_type__collectivity",
            "initiative__status",
            "initiative__closes_at",
            "initiative__published_at",
        )
    )
    if not rows or rows[0][8] is None:
        raise NotFound(_("Initiative introuvable."), code="initiative_not_found")
    state = ([TrackInfo(*row[:6]) for row in rows], rows[0][6], rows[0][7])
    if state[1] == Status.COLLECTING:
        if len(_OPEN_MEMO) > 10_000:
            _OPEN_MEMO.clear()
        _OPEN_MEMO[initiative_id] = (time.monotonic() + _OPEN_MEMO_SECONDS, state)
    return state


def _is_open(status: str, closes_at: datetime | None, now: datetime) -> bool:
    return status == Status.COLLECTING and closes_at is not None and closes_at > now


def _closed() -> Conflict:
    return Conflict(
        _("La collecte de signatures n'est pas ouverte pour cette initiative."),
        code="collection_closed",
    )


def _require_open(status: str, closes_at: datetime | None, now: datetime) -> None:
    if not _is_open(status, closes_at, now):
        raise _closed()


def _open_state(initiative_id: int, now: datetime) -> list[TrackInfo]:
    """The tracks of an initiative open at `now`, or Conflict. A remembered state only ever says
    "open": a refusal is always decided on a fresh read (a closing date moved later is seen at
    once), and the guarded INSERT has the last word either way."""
    tracks, status, closes_at = _tracks_and_state(initiative_id)
    if not _is_open(status, closes_at, now):
        tracks, status, closes_at = _tracks_and_state(initiative_id, fresh=True)
        if not _is_open(status, closes_at, now):
            raise _closed()
    return tracks


@dataclass
class _Plan:
    tracks: list[TrackInfo]
    mask: int
    quarter_key: str | None
    facts: dict[str, bool]


def _plan(entry: RegisterEntry, tracks: list[TrackInfo], *, now: datetime) -> _Plan:
    """Which tracks this entry counts on, after eligibility; the quarter key if one is limited."""
    today = timezone.localdate(now)
    decisions = {t.position: decide(entry, t.predicate, on=today) for t in tracks}
    eligible = [t for t in tracks if decisions[t.position].eligible]
    if not eligible:
        first = decisions[tracks[0].position]
        raise NotEligible(
            _("Vous ne remplissez les conditions d'aucun volet de cette initiative."),
            code=f"not_eligible_{first.code}" if first.code != "eligible" else "not_eligible",
            rule=", ".join(sorted({d.rule for d in decisions.values()})),
        )
    # The quarter limit is not read here: the signature is written with its quarter key and the
    # database's unique constraint answers (see `_record`). Most signers have not used their
    # request of the quarter, and the check would cost a query on every signature.
    limited = [t for t in eligible if t.quarter_limit]
    key = quarter_key(scope=limited[0].collectivity, on=today) if limited else None
    return _Plan(eligible, _mask(eligible), key, eligibility_facts(entry, on=today))


_USED_ELSEWHERE_SQL = """
SELECT 1 FROM petitions_signature
WHERE register_entry_id = %s AND quarter_key = %s AND initiative_id <> %s
LIMIT 1
"""


def _quarter_used_elsewhere(entry: RegisterEntry, key: str, initiative_id: int) -> bool:
    """Whether this elector's request of the quarter went to another initiative."""
    with connection.cursor() as cursor:
        cursor.execute(_USED_ELSEWHERE_SQL, [entry.pk, key, initiative_id])
        return cursor.fetchone() is not None


def _without_quarter(plan: _Plan) -> _Plan:
    limited = [t for t in plan.tracks if t.quarter_limit]
    remaining, key = _without_limited(plan.tracks, limited)
    return _Plan(remaining, _mask(remaining), key, plan.facts)


def _without_limited(
    eligible: list[TrackInfo], limited: list[TrackInfo]
) -> tuple[list[TrackInfo], None]:
    """The quarter limit removes only the legal track for this signer: the signature still counts
    on the charter track. With no track left, the signature is refused and the article named."""
    remaining = [t for t in eligible if not t.quarter_limit]
    if not remaining:
        raise RuleViolation(
            _("Vous avez déjà signé une demande de ce type ce trimestre."),
            code="quarter_limit",
            rule=limited[0].quarter_limit_rule,
        )
    return remaining, None


def _mask(tracks: list[TrackInfo]) -> int:
    mask = 0
    for t in tracks:
        mask |= 1 << t.position
    return mask


_INSERT_SQL = """
INSERT INTO petitions_signature
    (initiative_id, register_entry_id, identity_hash, channel, created_at, track_mask, facts,
     district_id, quarter_key, entered_by_id)
SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s, %s
WHERE EXISTS (
    SELECT 1 FROM petitions_initiative
    WHERE id = %s AND status = 'collecting' AND closes_at > %s
)
RETURNING id
"""


def _insert(
    *,
    initiative_id: int,
    entry: RegisterEntry,
    plan: _Plan,
    channel: str,
    now: datetime,
    entered_by: User | None,
) -> int | None:
    """One statement records the signature only if collection is open at `now`. Returns the new id,
    or None when the initiative is not collecting or its closing instant has passed."""
    facts = Signature._meta.get_field("facts").get_db_prep_save(plan.facts, connection)
    at = connection.ops.adapt_datetimefield_value(now)
    params: list[Any] = [
        initiative_id,
        entry.pk,
        entry.identity_hash,
        channel,
        at,
        plan.mask,
        facts,
        entry.district_id,
        plan.quarter_key,
        entered_by.pk if entered_by is not None else None,
        initiative_id,
        at,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_SQL, params)
        row = cursor.fetchone()
    return int(row[0]) if row else None


def count_slot() -> int:
    """The slot this thread writes to: fixed per process and thread, so per database connection.
    Two signatures from one connection never run at once, so they need no separate rows: writers
    that can collide (different connections) get different slots, and a fold finds at most one row
    per writing connection and track instead of one per signature."""
    return hash((os.getpid(), threading.get_ident())) % COUNT_SLOTS


def slot_upsert_sql(rows: int) -> str:
    table = SignatureCountSlot._meta.db_table
    values = ", ".join(["(%s, %s, %s, %s)"] * rows)
    return (
        f"INSERT INTO {table} (initiative_id, mask, slot, delta) VALUES {values} "  # noqa: S608
        f"ON CONFLICT (initiative_id, mask, slot) DO UPDATE SET delta = {table}.delta + excluded.delta"
    )


def _slots_add(*, initiative_id: int, mask: int, delta: int) -> None:
    """Add `delta` to this connection's slot row for `mask`: one row per signature."""
    with connection.cursor() as cursor:
        cursor.execute(slot_upsert_sql(1), [initiative_id, mask, count_slot(), delta])


@dataclass(frozen=True)
class _Recorded:
    signature_id: int | None  # None: a signature already existed
    plan: _Plan


_SIGN_AND_COUNT_SQL = """
WITH ins AS ({insert}),
slot AS (
    INSERT INTO petitions_signaturecountslot (initiative_id, mask, slot, delta)
    SELECT %s, ins.track_mask, %s, 1 FROM ins
    ON CONFLICT (initiative_id, mask, slot)
    DO UPDATE SET delta = petitions_signaturecountslot.delta + excluded.delta
)
SELECT id FROM ins
"""
_SIGN_AND_COUNT = _SIGN_AND_COUNT_SQL.format(
    insert=_INSERT_SQL.strip().replace("RETURNING id", "RETURNING id, track_mask")
)


def _write(
    *,
    initiative_id: int,
    entry: RegisterEntry,
    plan: _Plan,
    channel: str,
    now: datetime,
    entered_by: User | None,
) -> int | None:
    """Record the signature and its slot deltas atomically. On PostgreSQL it is ONE statement (a
    data-modifying CTE), which in autocommit is its own transaction: no BEGIN, savepoint or COMMIT
    round trip on the hot path. Raises IntegrityError on a duplicate; None when not collecting."""
    conn = connections[DEFAULT_DB_ALIAS]  # once: each use of the `connection` proxy looks it up
    if conn.vendor != "postgresql":
        with transaction.atomic():
            new_id = _insert(
                initiative_id=initiative_id,
                entry=entry,
                plan=plan,
                channel=channel,
                now=now,
                entered_by=entered_by,
            )
            if new_id is not None:
                _slots_add(initiative_id=initiative_id, mask=plan.mask, delta=1)
        return new_id
    facts = Signature._meta.get_field("facts").get_db_prep_save(plan.facts, conn)
    params: list[Any] = [
        initiative_id,
        entry.pk,
        entry.identity_hash,
        channel,
        now,
        plan.mask,
        facts,
        entry.district_id,
        plan.quarter_key,
        entered_by.pk if entered_by is not None else None,
        initiative_id,
        now,
        initiative_id,
        count_slot(),
    ]

    def run() -> int | None:
        with prepared_cursor() as cursor:
            cursor.execute(_SIGN_AND_COUNT, params)
            row = cursor.fetchone()
        return int(row[0]) if row else None

    if conn.in_atomic_block:
        with transaction.atomic():  # a savepoint: the caller's transaction survives a refusal
            return run()
    return run()


def _record(
    *,
    initiative_id: int,
    entry: RegisterEntry,
    tracks: list[TrackInfo],
    channel: str,
    now: datetime,
    entered_by: User | None,
) -> _Recorded:
    plan = _plan(entry, tracks, now=now)
    for _attempt in range(2):
        try:
            new_id = _write(
                initiative_id=initiative_id,
                entry=entry,
                plan=plan,
                channel=channel,
                now=now,
                entered_by=entered_by,
            )
        except IntegrityError as exc:
            name = violated_constraint(exc)
            if name not in DUPLICATE_CONSTRAINTS and name != QUARTER_CONSTRAINT:
                raise
            # Either this elector signed here already, or their request of the quarter went to
            # another initiative (or both: the database names only one constraint). The answer
            # to a repeated signature must be the first one's, so find out which.
            elsewhere = plan.quarter_key is not None and _quarter_used_elsewhere(
                entry, plan.quarter_key, initiative_id
            )
            if elsewhere:
                plan = _without_quarter(plan)  # drop the legal track; refused if no track remains
            if name == QUARTER_CONSTRAINT and elsewhere:
                continue  # write it again without the quarter key
            return _Recorded(None, plan)  # already signed: the same answer as the first time
        if new_id is None:
            _OPEN_MEMO.pop(initiative_id, None)
            raise _closed()
        return _Recorded(new_id, plan)
    raise AssertionError("unreachable: the second attempt has no quarter key")


def signature_sign(*, initiative_id: int, user: User) -> SignOutcome:
    """Sign once. Signing again gives the very same answer, so no one learns who had signed."""
    if not user.is_authenticated or not user.is_verified:
        raise NotVerified(_("Vérifiez votre compte pour signer."))
    assert user.register_entry_id is not None
    entry = user.register_entry  # loaded with the user by the API authentication
    assert entry is not None
    now = timezone.now()
    tracks = _open_state(initiative_id, now)
    recorded = _record(
        initiative_id=initiative_id,
        entry=entry,
        tracks=tracks,
        channel=Channel.ONLINE,
        now=now,
        entered_by=None,
    )
    return SignOutcome(initiative_id, [t.slug for t in recorded.plan.tracks])


_DELETE_SQL = """
DELETE FROM petitions_signature
WHERE initiative_id = %s AND register_entry_id = %s
  AND EXISTS (
    SELECT 1 FROM petitions_initiative
    WHERE id = %s AND status = 'collecting' AND closes_at > %s
  )
RETURNING track_mask
"""


def signature_withdraw(*, initiative_id: int, user: User) -> None:
    """Withdraw one's signature while collection is open. Withdrawing when one had not signed gives
    the same answer as withdrawing a signature."""
    if not user.is_authenticated or not user.is_verified:
        raise NotVerified(_("Vérifiez votre compte."))
    now = timezone.now()
    _open_state(initiative_id, now)
    at = connection.ops.adapt_datetimefield_value(now)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_DELETE_SQL, [initiative_id, user.register_entry_id, initiative_id, at])
            row = cursor.fetchone()
        if row is not None:
            _slots_add(initiative_id=initiative_id, mask=int(row[0]), delta=-1)


@dataclass(frozen=True)
class PaperOutcome:
    accepted: bool
    reason: str | None = None
    signature_id: int | None = None
    rejection_id: int | None = None
    tracks: list[str] = field(default_factory=list)


def _find_entry(
    *,
    register_entry_id: int | None,
    last_name: str | None,
    first_names: str | None,
    birth_date: date | None,
) -> RegisterEntry | None:
    if register_entry_id is not None:
        return RegisterEntry.objects.filter(pk=register_entry_id).first()
    if last_name and first_names and birth_date:
        digest = compute_identity_hash(
            last_name=last_name, first_names=first_names, birth_date=birth_date
        )
        return RegisterEntry.objects.filter(identity_hash=digest, active=True).first()
    return None


def paper_signature_enter(
    *,
    initiative_id: int,
    actor: User,
    register_entry_id: int | None = None,
    last_name: str | None = None,
    first_names: str | None = None,
    birth_date: date | None = None,
    sheet_ref: str = "",
) -> PaperOutcome:
    """Staff enter one line of a paper form. Found and eligible: a signature (channel "paper");
    otherwise a row in the register of rejections with its reason. Both are audited."""
    if not is_moderator(actor):
        raise PermissionDenied(_("La saisie des signatures papier est réservée aux modérateurs."))
    tracks, status, closes_at = _tracks_and_state(initiative_id, fresh=True)
    now = timezone.now()
    _require_open(status, closes_at, now)
    entry = _find_entry(
        register_entry_id=register_entry_id,
        last_name=last_name,
        first_names=first_names,
        birth_date=birth_date,
    )
    with transaction.atomic():
        reason: str | None
        if entry is None:
            reason = PaperRejectionReason.NOT_ON_REGISTER
        else:
            try:
                recorded = _record(
                    initiative_id=initiative_id,
                    entry=entry,
                    tracks=tracks,
                    channel=Channel.PAPER,
                    now=now,
                    entered_by=actor,
                )
            except NotEligible:
                reason = PaperRejectionReason.NOT_ELIGIBLE
            except RuleViolation:
                reason = PaperRejectionReason.QUARTER_LIMIT
            else:
                if recorded.signature_id is None:
                    reason = PaperRejectionReason.DUPLICATE
                else:
                    audit_record(
                        actor=actor,
                        verb="signature.paper_entered",
                        target=("petitions.signature", recorded.signature_id),
                        after={"initiative_id": initiative_id, "sheet_ref": sheet_ref},
                    )
                    return PaperOutcome(
                        True,
                        signature_id=recorded.signature_id,
                        tracks=[t.slug for t in recorded.plan.tracks],
                    )
        rejection = PaperRejection.objects.create(
            initiative_id=initiative_id,
            reason=reason,
            sheet_ref=sheet_ref,
            register_entry=entry,
            entered_by=actor,
            created_at=now,
        )
        audit_record(
            actor=actor,
            verb="signature.paper_rejected",
            target=rejection,
            after={"initiative_id": initiative_id, "reason": reason, "sheet_ref": sheet_ref},
        )
        return PaperOutcome(False, reason=reason, rejection_id=rejection.pk)
