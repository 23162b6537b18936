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
from civic.eligibility import eligibility_facts
from civic.errors import PermissionDenied
from civic.identity import identity_hash as compute_identity_hash
from civic.models import RegisterEntry, User
from petitions import store
from petitions.models import Channel, PaperRejection, PaperRejectionReason, Signature
from petitions.rules import is_moderator, track_decisions
from petitions.selectors import count_version_bump
from petitions.services.signatures import TrackInfo, count_slot, quarter_key
from petitions.services.signatures.state import require_open, signing_state
from petitions.store import SignatureRow

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


def paper_row_batches(rows: Iterable[PaperRow], size: int) -> Iterator[list[PaperRow]]:
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


def paper_signatures_import(
    *, initiative_id: int, actor: User, rows: Iterable[PaperRow], source: str = ""
) -> ImportReport:
    if not is_moderator(actor):
        raise PermissionDenied(_("La saisie des signatures papier est réservée aux modérateurs."))
    state = signing_state(initiative_id, fresh=True)
    report = ImportReport()
    digest = hashlib.sha256()
    for batch in paper_row_batches(rows, BATCH):
        now = timezone.now()
        require_open(state, now)
        for row in batch:
            digest.update(f"{row.register_ref}|{row.sheet_ref}".encode())
        paper_batch_apply(initiative_id, actor, state.tracks, batch, now, report)
    with transaction.atomic():
        audit_record(
            actor=actor,
            verb="signature.paper_imported",
            target=("petitions.initiative", initiative_id),
            after={**report.as_dict(), "source": source, "rows_sha256": digest.hexdigest()},
        )
    return report


@dataclass
class _Sorted:
    """A batch sorted into candidate signatures and rejections (with their reasons)."""

    candidates: dict[int, tuple[RegisterEntry, int, str | None, PaperRow]] = field(
        default_factory=dict
    )
    rejections: list[tuple[str, RegisterEntry | None, PaperRow]] = field(default_factory=list)


def _quarter_used(
    initiative_id: int, entries: Iterable[RegisterEntry], key: str | None
) -> set[int]:
    """The entries (of this batch) whose request of the quarter went to another initiative."""
    if key is None:
        return set()
    return set(
        Signature.objects.filter(register_entry_id__in=[e.pk for e in entries], quarter_key=key)
        .exclude(initiative_id=initiative_id)
        .values_list("register_entry_id", flat=True)
    )


def _sort_rows(
    initiative_id: int, tracks: list[TrackInfo], batch: list[PaperRow], today: date
) -> _Sorted:
    """Find each row's entry and decide, as `rules.track_decisions` does for one signature, which
    tracks it counts on; a repeated entry within the batch is a duplicate."""
    by_ref, by_hash = _entries(batch)
    limited = [t for t in tracks if t.quarter_limit]
    key = quarter_key(scope=limited[0].collectivity, on=today) if limited else None
    used_quarter = _quarter_used(initiative_id, [*by_ref.values(), *by_hash.values()], key)
    predicates = [t.predicate for t in tracks]
    result = _Sorted()
    seen_hashes: set[str] = set()
    for row in batch:
        entry = (
            by_ref.get(row.register_ref) if row.register_ref else by_hash.get(_hash_of(row) or "")
        )
        if entry is None:
            result.rejections.append((PaperRejectionReason.NOT_ON_REGISTER, None, row))
            continue
        decisions = track_decisions(entry, predicates, on=today)
        eligible = [t for t, d in zip(tracks, decisions, strict=True) if d.eligible]
        if not eligible:
            result.rejections.append((PaperRejectionReason.NOT_ELIGIBLE, entry, row))
            continue
        if key is not None and entry.pk in used_quarter:
            eligible = [t for t in eligible if not t.quarter_limit]
            if not eligible:
                result.rejections.append((PaperRejectionReason.QUARTER_LIMIT, entry, row))
                continue
        if entry.pk in result.candidates or entry.identity_hash in seen_hashes:
            result.rejections.append((PaperRejectionReason.DUPLICATE, entry, row))
            continue
        mask = 0
        for t in eligible:
            mask |= 1 << t.position
        entry_key = key if any(t.quarter_limit for t in eligible) else None
        result.candidates[entry.pk] = (entry, mask, entry_key, row)
        seen_hashes.add(entry.identity_hash)
    return result


def paper_batch_apply(
    initiative_id: int,
    actor: User,
    tracks: list[TrackInfo],
    batch: list[PaperRow],
    now: datetime,
    report: ImportReport,
) -> list[tuple[str, PaperRow]]:
    """Record one batch (its own transaction, or a savepoint of the caller's); returns its rejected
    rows with their reasons."""
    today = timezone.localdate(now)
    report.rows += len(batch)
    rows = _sort_rows(initiative_id, tracks, batch, today)
    with transaction.atomic():
        inserted = store.paper_signatures_insert(
            _signature_rows(initiative_id, actor, rows.candidates, now, today), now=now
        )
        for entry_id, (entry, _m, _k, row) in rows.candidates.items():
            if entry_id not in inserted:
                # Already signed, online or on paper (one of the two unique constraints).
                rows.rejections.append((PaperRejectionReason.DUPLICATE, entry, row))
        PaperRejection.objects.bulk_create(
            [
                PaperRejection(
                    initiative_id=initiative_id,
                    reason=reason,
                    sheet_ref=row.sheet_ref,
                    register_entry=entry,
                    entered_by=actor,
                    created_at=now,
                )
                for reason, entry, row in rows.rejections
            ],
            batch_size=BATCH,
        )
        if rows.rejections:
            transaction.on_commit(count_version_bump)  # the page lists the rejections
        _slots_add_many(initiative_id, inserted.values())
    report.accepted += len(inserted)
    for reason, _entry, _row in rows.rejections:
        report.rejected[reason] += 1
    return [(reason, row) for reason, _entry, row in rows.rejections]


def _signature_rows(
    initiative_id: int,
    actor: User,
    candidates: dict[int, tuple[RegisterEntry, int, str | None, PaperRow]],
    now: datetime,
    today: date,
) -> list[SignatureRow]:
    facts_field = Signature._meta.get_field("facts")
    return [
        (
            initiative_id,
            entry.pk,
            entry.identity_hash,
            Channel.PAPER,
            now,
            mask,
            facts_field.get_db_prep_save(eligibility_facts(entry, on=today), connection),
            entry.district_id,
            key,
            actor.pk,
            None,
        )
        for entry, mask, key, _row in candidates.values()
    ]


def _slots_add_many(initiative_id: int, masks: Iterable[int]) -> None:
    per_mask: Counter[int] = Counter(masks)
    slot = count_slot()
    # One row per mask, in a signer's lock order.
    store.slots_add((initiative_id, mask, slot, delta) for mask, delta in sorted(per_mask.items()))


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


__all__ = [
    "ImportReport",
    "PaperRow",
    "paper_batch_apply",
    "paper_row_batches",
    "paper_rows_from_csv",
    "paper_signatures_import",
]
