"""The fold: signatures -> hourly and district aggregates, without scanning signatures.

Why an id window with a lag, a ledger and a reconciliation (and not "id > last id seen"):
signature ids are allocated at INSERT but become visible at COMMIT, so a transaction holding a
lower id can commit after a higher one was folded; a plain "id > last" watermark would skip it for
ever. Each fold therefore re-reads every signature with `id > low_watermark` (a primary-key range:
the new signatures plus those of the last `LAG`), counts only those the ledger has not seen (the
ledger's primary key makes a second sighting a no-op), and moves the watermark only up to the
newest signature created more than `LAG` ago, by which time any older transaction has committed.
A commit later than that, and every withdrawal (a withdrawal DELETEs the signature, leaving no row
to read), is caught by the reconciliation: for each initiative whose published count moved since
the last fold, the ledger total is compared with the exact total (published count plus pending
slot deltas, which petitions keeps in step with the signatures). Only on a mismatch does the fold
read that initiative's signatures to add the late ones and drop the withdrawn ones (decrementing
their own hour and district). Work per fold is proportional to new signatures and to initiatives
whose count moved; a full read of one initiative happens only when a withdrawal or a very late
commit is detected there. The fold reads everything from one REPEATABLE READ
snapshot (signers committing mid-fold would otherwise look like mismatches and cost repairs), and
folds take turns under an advisory lock taken before that snapshot. The signing path is not touched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from dashboards import store
from dashboards.models import TOTAL_TRACK, FoldState, SignatureHourly, SignatureLedger
from dashboards.services.documents import documents_rebuild
from petitions.selectors.dashboards import (
    dashboard_counts_moved,
    dashboard_exact_totals,
    dashboard_signature_ids,
    dashboard_signature_rows,
    dashboard_signature_rows_except,
    dashboard_track_positions,
)

LAG = timedelta(minutes=5)
BATCH = 5000

Row = tuple[int, int, int, int, datetime]  # id, initiative, district, mask, created_at


def _hour(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


class _Deltas:
    def __init__(self) -> None:
        self.hourly: dict[tuple[int, int, datetime], int] = defaultdict(int)
        self.district: dict[tuple[int, int], int] = defaultdict(int)
        self.initiatives: set[int] = set()

    def add(self, initiative_id: int, district_id: int, mask: int, hour: datetime, d: int) -> None:
        self.initiatives.add(initiative_id)
        self.hourly[(initiative_id, TOTAL_TRACK, hour)] += d
        for position in dashboard_track_positions(mask):
            self.hourly[(initiative_id, position, hour)] += d
        self.district[(initiative_id, district_id)] += d

    def apply(self) -> None:
        hourly_rows = [(i, t, h, d) for (i, t, h), d in sorted(self.hourly.items()) if d]
        district_rows = [(i, k, d) for (i, k), d in sorted(self.district.items()) if d]
        if hourly_rows:
            store.hourly_add(hourly_rows)
        if district_rows:
            store.district_add(district_rows)


def _ledger_add(rows: Iterable[Row], deltas: _Deltas) -> None:
    """Count the rows the ledger has not seen; the ledger remembers them."""
    rows = list(rows)
    if not rows:
        return
    seen = set(
        SignatureLedger.objects.filter(signature_id__in=[r[0] for r in rows]).values_list(
            "signature_id", flat=True
        )
    )
    fresh = [r for r in rows if r[0] not in seen]
    SignatureLedger.objects.bulk_create(
        SignatureLedger(
            signature_id=sid, initiative_id=ini, district_id=dis, mask=mask, hour=_hour(created)
        )
        for sid, ini, dis, mask, created in fresh
    )
    for _sid, ini, dis, mask, created in fresh:
        deltas.add(ini, dis, mask, _hour(created), +1)


def _ledger_totals(initiative_ids: list[int]) -> dict[int, int]:
    return {
        row["initiative_id"]: row["n"] or 0
        for row in SignatureHourly.objects.filter(
            initiative_id__in=initiative_ids, track=TOTAL_TRACK
        )
        .values("initiative_id")
        .annotate(n=Sum("count"))
        .order_by()
    }


def _repair(initiative_id: int, deltas: _Deltas) -> None:
    """Bring one initiative's ledger in line with its signatures: drop the withdrawn, add the late."""
    gone = SignatureLedger.objects.filter(initiative_id=initiative_id).exclude(
        signature_id__in=dashboard_signature_ids(initiative_id=initiative_id)
    )
    removed = list(gone.values_list("signature_id", "district_id", "mask", "hour"))
    if removed:
        SignatureLedger.objects.filter(signature_id__in=[r[0] for r in removed]).delete()
        for _sid, district_id, mask, hour in removed:
            deltas.add(initiative_id, district_id, mask, hour, -1)
    seen = SignatureLedger.objects.filter(initiative_id=initiative_id).values("signature_id")
    late = dashboard_signature_rows_except(initiative_id=initiative_id, seen_ids=seen)
    _ledger_add(late, deltas)


def aggregates_fold(*, now: datetime | None = None) -> list[int]:
    """Fold new signatures and withdrawals into the aggregates. Returns the initiatives touched.

    Outside any caller's transaction the fold runs in REPEATABLE READ: the new signatures, the
    published counts and the pending slots are then read from ONE snapshot, so a signer
    committing mid-fold cannot look like a mismatch and trigger a needless repair."""
    FoldState.objects.get_or_create(id=1)
    with store.fold_turn(), transaction.atomic():
        if not _nested():
            store.snapshot_for_transaction()
        now = now or timezone.now()
        state = FoldState.objects.get(id=1)
        deltas = _Deltas()
        new_low = _fold_new(state.low_watermark, now, deltas)
        _reconcile(_candidates(state, now, deltas), deltas)
        deltas.apply()
        state.low_watermark = new_low
        state.folded_at = now
        state.save(update_fields=["low_watermark", "folded_at"])
    return sorted(deltas.initiatives)


def _fold_new(low: int, now: datetime, deltas: _Deltas) -> int:
    """Count the signatures above the watermark the ledger has not seen; return the new watermark
    (the newest signature created more than LAG ago, with none younger before it)."""
    new_low = cursor_id = low
    advancing = True
    while True:
        rows: list[Any] = dashboard_signature_rows(after_id=cursor_id, limit=BATCH)
        if not rows:
            break
        _ledger_add(rows, deltas)
        for row in rows:
            if not advancing or row[4] >= now - LAG:
                advancing = False
                break
            new_low = row[0]
        cursor_id = rows[-1][0]
        if len(rows) < BATCH:
            break
    return new_low


def _candidates(state: FoldState, now: datetime, deltas: _Deltas) -> list[int]:
    """The initiatives to reconcile: those whose published count moved since the last fold
    (withdrawals, late commits; every counted one at the first fold) and those folded now."""
    since = None if state.folded_at is None else state.folded_at - LAG
    return sorted(dashboard_counts_moved(since=since) | deltas.initiatives)


def _reconcile(candidates: list[int], deltas: _Deltas) -> None:
    """Repair each candidate whose ledger total (with this fold's deltas) is not its exact total."""
    if not candidates:
        return
    exact = dashboard_exact_totals(candidates)
    ledger = _ledger_totals(candidates)
    pending: dict[int, int] = defaultdict(int)
    for (i, t, _h), d in deltas.hourly.items():
        if t == TOTAL_TRACK:
            pending[i] += d
    for initiative_id in candidates:
        folded = ledger.get(initiative_id, 0) + pending[initiative_id]
        if folded != exact.get(initiative_id, 0):
            _repair(initiative_id, deltas)


def _nested() -> bool:
    """True when this atomic block is a savepoint inside a caller's transaction."""
    return len(connection.savepoint_ids) > 0 or not connection.commit_on_exit


def stats_tick() -> dict[str, int]:
    """The beat job: fold, then rebuild the published documents that may have changed."""
    touched = aggregates_fold()
    rebuilt = documents_rebuild(initiative_ids=touched)
    return {"touched": len(touched), "documents": rebuilt}
