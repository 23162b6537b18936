"""Bulk entry of paper signatures (a scanned and keyed batch of forms), at database speed.

Rows stream through in batches: one query finds the batch's register entries (by reference or by
the keyed identity hash), eligibility is decided in Python, one INSERT ... SELECT ... ON CONFLICT DO
NOTHING records the batch (guarded, like a single signature, by "collecting and closes_at > now"),
rejections go to the register in one bulk insert, and the slot deltas of the batch are added once.
Memory stays flat in the number of rows; one audit entry records the whole import.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.audit import audit_record
from civic.eligibility import decide, eligibility_facts
from civic.errors import PermissionDenied
from civic.identity import identity_hash as compute_identity_hash
from civic.models import RegisterEntry, User
from petitions.models import (
    Channel,
    PaperRejection,
    PaperRejectionReason,
    Signature,
)
from petitions.rules import is_moderator
from petitions.services.signatures import (
    TrackInfo,
    _require_open,
    _tracks_and_state,
    count_slot,
    quarter_key,
    slot_upsert_sql,
)

BATCH = 2000


@dataclass(frozen=True)
class PaperRow:
    """One line of a paper form: a register reference, or names and birth date."""

    register_ref: str = ""
    last_name: str = ""
    first_names: str = ""
    birth_date: date | None = None
    sheet_ref: str = ""


@dataclass
class ImportReport:
    rows: int = 0
    accepted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "accepted": self.accepted, "rejected": dict(self.rejected)}


def _batches(rows: Iterable[PaperRow], size: int) -> Iterator[list[PaperRow]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _hash_of(row: PaperRow) -> str | None:
    if row.last_name and row.first_names and row.birth_date:
        return compute_identity_hash(
            last_name=row.last_name, first_names=row.first_names, birth_date=row.birth_date
        )
    return None


def _entries(batch: list[PaperRow]) -> tuple[dict[str, RegisterEntry], dict[str, RegisterEntry]]:
    refs = {r.register_ref for r in batch if r.register_ref}
    hashes = {h for r in batch if not r.register_ref and (h := _hash_of(r))}
    by_ref: dict[str, RegisterEntry] = {}
    by_hash: dict[str, RegisterEntry] = {}
    fields = ("id", "ref", "kind", "birth_date", "active", "identity_hash", "district_id")
    if refs:
        by_ref = {e.ref: e for e in RegisterEntry.objects.filter(ref__in=refs).only(*fields)}
    if hashes:
        for e in RegisterEntry.objects.filter(identity_hash__in=hashes, active=True).only(*fields):
            by_hash.setdefault(e.identity_hash, e)
    return by_ref, by_hash


_INSERT_HEAD = """
INSERT INTO petitions_signature
    (initiative_id, register_entry_id, identity_hash, channel, created_at, track_mask, facts,
     district_id, quarter_key, entered_by_id)
SELECT v.* FROM (VALUES {values}) AS v
WHERE EXISTS (
    SELECT 1 FROM petitions_initiative
    WHERE id = %s AND status = 'collecting' AND closes_at > %s
)
ON CONFLICT DO NOTHING
RETURNING register_entry_id, track_mask
"""


def paper_signatures_import(
    *, initiative_id: int, actor: User, rows: Iterable[PaperRow], source: str = ""
) -> ImportReport:
    if not is_moderator(actor):
        raise PermissionDenied(_("La saisie des signatures papier est réservée aux modérateurs."))
    tracks, status, closes_at = _tracks_and_state(initiative_id, fresh=True)
    report = ImportReport()
    digest = hashlib.sha256()
    for batch in _batches(rows, BATCH):
        now = timezone.now()
        _require_open(status, closes_at, now)
        for row in batch:
            digest.update(f"{row.register_ref}|{row.sheet_ref}".encode())
        _import_batch(initiative_id, actor, tracks, batch, now, report)
    with transaction.atomic():
        audit_record(
            actor=actor,
            verb="signature.paper_imported",
            target=("petitions.initiative", initiative_id),
            after={**report.as_dict(), "source": source, "rows_sha256": digest.hexdigest()},
        )
    return report


def _import_batch(
    initiative_id: int,
    actor: User,
    tracks: list[TrackInfo],
    batch: list[PaperRow],
    now: datetime,
    report: ImportReport,
) -> None:
    today = timezone.localdate(now)
    by_ref, by_hash = _entries(batch)
    limited = [t for t in tracks if t.quarter_limit]
    key = quarter_key(scope=limited[0].collectivity, on=today) if limited else None
    used_quarter: set[int] = set()
    if key is not None:
        ids = [e.pk for e in [*by_ref.values(), *by_hash.values()]]
        used_quarter = set(
            Signature.objects.filter(register_entry_id__in=ids, quarter_key=key)
            .exclude(initiative_id=initiative_id)
            .values_list("register_entry_id", flat=True)
        )
    rejections: list[PaperRejection] = []
    candidates: dict[int, tuple[RegisterEntry, int, str | None, PaperRow]] = {}
    seen_hashes: set[str] = set()
    for row in batch:
        report.rows += 1
        entry = (
            by_ref.get(row.register_ref) if row.register_ref else by_hash.get(_hash_of(row) or "")
        )
        reason = None
        mask, entry_key = 0, None
        if entry is None:
            reason = PaperRejectionReason.NOT_ON_REGISTER
        else:
            eligible = [t for t in tracks if decide(entry, t.predicate, on=today).eligible]
            if eligible and key is not None and entry.pk in used_quarter:
                eligible = [t for t in eligible if not t.quarter_limit]
                if not eligible:
                    reason = PaperRejectionReason.QUARTER_LIMIT
            elif not eligible:
                reason = PaperRejectionReason.NOT_ELIGIBLE
            if reason is None:
                if entry.pk in candidates or entry.identity_hash in seen_hashes:
                    reason = PaperRejectionReason.DUPLICATE
                else:
                    for t in eligible:
                        mask |= 1 << t.position
                    entry_key = key if any(t.quarter_limit for t in eligible) else None
                    candidates[entry.pk] = (entry, mask, entry_key, row)
                    seen_hashes.add(entry.identity_hash)
        if reason is not None:
            rejections.append(
                PaperRejection(
                    initiative_id=initiative_id,
                    reason=reason,
                    sheet_ref=row.sheet_ref,
                    register_entry=entry,
                    entered_by=actor,
                    created_at=now,
                )
            )
    with transaction.atomic():
        inserted = _insert_many(initiative_id, actor, candidates, now, today)
        for entry_id, (entry, _m, _k, row) in candidates.items():
            if entry_id not in inserted:
                # Already signed, online or on paper (one of the two unique constraints).
                rejections.append(
                    PaperRejection(
                        initiative_id=initiative_id,
                        reason=PaperRejectionReason.DUPLICATE,
                        sheet_ref=row.sheet_ref,
                        register_entry=entry,
                        entered_by=actor,
                        created_at=now,
                    )
                )
        PaperRejection.objects.bulk_create(rejections, batch_size=BATCH)
        _slots_add_many(initiative_id, inserted.values())
    report.accepted += len(inserted)
    for r in rejections:
        report.rejected[r.reason] += 1


def _insert_many(
    initiative_id: int,
    actor: User,
    candidates: dict[int, tuple[RegisterEntry, int, str | None, PaperRow]],
    now: datetime,
    today: date,
) -> dict[int, int]:
    if not candidates:
        return {}
    facts_field = Signature._meta.get_field("facts")
    at = connection.ops.adapt_datetimefield_value(now)
    placeholders = []
    params: list[Any] = []
    for entry, mask, key, _row in candidates.values():
        placeholders.append(
            "(%s::bigint, %s::bigint, %s, %s, %s::timestamptz, %s::smallint, %s::jsonb, %s::bigint, %s, %s::bigint)"
            if connection.vendor == "postgresql"
            else "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        )
        params += [
            initiative_id,
            entry.pk,
            entry.identity_hash,
            Channel.PAPER,
            at,
            mask,
            facts_field.get_db_prep_save(eligibility_facts(entry, on=today), connection),
            entry.district_id,
            key,
            actor.pk,
        ]
    sql = _INSERT_HEAD.format(values=", ".join(placeholders))
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, initiative_id, at])
        return {int(entry_id): int(mask) for entry_id, mask in cursor.fetchall()}


def _slots_add_many(initiative_id: int, masks: Iterable[int]) -> None:
    per_mask: Counter[int] = Counter(masks)
    if not per_mask:
        return
    slot = count_slot()
    params: list[Any] = []
    for mask, delta in sorted(per_mask.items()):  # a signer's lock order
        params += [initiative_id, mask, slot, delta]
    with connection.cursor() as cursor:
        cursor.execute(slot_upsert_sql(len(per_mask)), params)


def paper_rows_from_csv(lines: Iterable[str]) -> Iterator[PaperRow]:
    """CSV with a header: register_ref, or last_name, first_names, birth_date (YYYY-MM-DD); and
    sheet_ref. Read lazily, so a file of any size streams through."""
    import csv

    for record in csv.DictReader(lines):
        birth = record.get("birth_date") or ""
        try:
            birth_date = date.fromisoformat(birth) if birth else None
        except ValueError:
            birth_date = None
        yield PaperRow(
            register_ref=(record.get("register_ref") or "").strip(),
            last_name=(record.get("last_name") or "").strip(),
            first_names=(record.get("first_names") or "").strip(),
            birth_date=birth_date,
            sheet_ref=(record.get("sheet_ref") or "").strip()[:64],
        )


__all__ = ["ImportReport", "PaperRow", "paper_rows_from_csv", "paper_signatures_import"]
