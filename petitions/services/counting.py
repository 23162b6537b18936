"""Counting without serialising signers, and acting on each rung crossing exactly once.

- `counts_fold` moves the slot deltas into the published counts: one DELETE ... RETURNING takes
  every unfolded delta (rows inserted after it are left for the next tick), and the same transaction
  adds them to `InitiativeCount`. Two workers folding at once cannot both take a delta.
- `counts_recount` compares, in ONE statement (one snapshot), COUNT(*) of the signatures with the
  published count plus the pending slots. A signature and its slot delta commit together, so in one
  snapshot they agree unless something drifted; the repair is itself a slot delta (no lock taken) and
  is written to the audit log.
- `rungs_evaluate` sets `TrackRung.reached_at` with a guarded UPDATE; only the worker whose UPDATE
  changed the row creates the obligation, audits and notifies.
Work is proportional to the slots touched and to open initiatives, never to signatures (except the
periodic recount, whose job is to count them).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from civic.audit import audit_record
from civic.models import WebhookEvent
from civic.webhooks import webhook_emit
from petitions.models import (
    MAX_TRACKS,
    TOTAL_TRACK,
    Initiative,
    InitiativeCount,
    Obligation,
    SignatureCountSlot,
    Status,
    TrackRung,
)
from petitions.models.instruments import in_language_lazy
from petitions.selectors import count_cache_key, count_memo_forget
from petitions.services._common import moderators, notify_all, people_of
from petitions.services.signatures import slot_upsert_sql

logger = logging.getLogger(__name__)

SLOTS = SignatureCountSlot._meta.db_table
COUNTS = InitiativeCount._meta.db_table


def _expand(rows: list[tuple[int, int, int]]) -> dict[tuple[int, int], int]:
    """(initiative, mask, delta) rows -> {(initiative, track): delta}, the total included."""
    deltas: dict[tuple[int, int], int] = defaultdict(int)
    for initiative_id, mask, delta in rows:
        deltas[(int(initiative_id), TOTAL_TRACK)] += int(delta)
        for position in range(MAX_TRACKS):
            if int(mask) & (1 << position):
                deltas[(int(initiative_id), position)] += int(delta)
    return deltas


def _apply_deltas(deltas: dict[tuple[int, int], int], now: Any) -> None:
    at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        for (initiative_id, track), delta in sorted(deltas.items()):
            if delta:
                cursor.execute(
                    f"UPDATE {COUNTS} SET count = count + %s, updated_at = %s "  # noqa: S608
                    "WHERE initiative_id = %s AND track = %s",
                    [delta, at, initiative_id, track],
                )


# Rows are locked in (initiative, mask, slot) order, the order in which writers upsert theirs, so
# a fold and a signer never deadlock; folds themselves take turns (advisory lock), so two folds
# never lock count rows in opposite orders.
_FOLD_LOCK_KEY = 0x9E7170
_TRACKS_VALUES = ", ".join(f"({t})" for t in [TOTAL_TRACK, *range(MAX_TRACKS)])
_FOLD_SQL = f"""
WITH locked AS (
    SELECT id FROM {SLOTS} ORDER BY initiative_id, mask, slot FOR UPDATE
),
taken AS (
    DELETE FROM {SLOTS} AS s USING locked WHERE s.id = locked.id
    RETURNING s.initiative_id, s.mask, s.delta
),
per_mask AS (
    SELECT initiative_id, mask, SUM(delta) AS d FROM taken GROUP BY initiative_id, mask
),
sums AS (
    SELECT m.initiative_id, k.track, SUM(m.d) AS d
    FROM per_mask m CROSS JOIN (VALUES {_TRACKS_VALUES}) AS k(track)
    WHERE k.track = {TOTAL_TRACK} OR (m.mask & (1 << k.track)) <> 0
    GROUP BY m.initiative_id, k.track HAVING SUM(m.d) <> 0
)
UPDATE {COUNTS} AS c SET count = c.count + sums.d, updated_at = %s
FROM sums WHERE c.initiative_id = sums.initiative_id AND c.track = sums.track
RETURNING c.initiative_id
"""  # noqa: S608


def counts_fold() -> list[int]:
    """Publish every pending delta. Returns the ids of the initiatives whose counts changed.

    On PostgreSQL one statement takes the deltas, sums them per mask, expands masks into tracks and
    updates the counts: the cost of a GROUP BY over the slot rows (one per initiative, mask and
    writing connection, however many signatures)."""
    with transaction.atomic():
        now = timezone.now()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_FOLD_LOCK_KEY])
                cursor.execute(_FOLD_SQL, [now])
                touched = sorted({int(row[0]) for row in cursor.fetchall()})
        else:
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {SLOTS} RETURNING initiative_id, mask, delta")  # noqa: S608
                deltas = _expand(cursor.fetchall())
            _apply_deltas(deltas, now)
            touched = sorted({i for (i, _t), d in deltas.items() if d})
        if touched:
            keys = [count_cache_key(i) for i in touched]

            def forget() -> None:
                cache.delete_many(keys)
                count_memo_forget(touched)

            transaction.on_commit(forget)
    return touched


@dataclass(frozen=True)
class Drift:
    initiative_id: int
    track: int
    published: int
    pending: int
    actual: int

    @property
    def delta(self) -> int:
        return self.actual - self.published - self.pending


_RECOUNT_SQL = f"""
SELECT c.track, c.count,
  COALESCE((SELECT SUM(s.delta) FROM {SLOTS} s
            WHERE s.initiative_id = c.initiative_id
              AND (c.track = {TOTAL_TRACK} OR (s.mask & (1 << c.track)) <> 0)), 0),
  (SELECT COUNT(*) FROM petitions_signature g
   WHERE g.initiative_id = c.initiative_id
     AND (c.track = {TOTAL_TRACK} OR (g.track_mask & (1 << c.track)) <> 0))
FROM {COUNTS} c
WHERE c.initiative_id = %s
"""  # noqa: S608


def counts_recount(*, initiative_ids: Iterable[int] | None = None) -> list[Drift]:
    """Compare every open initiative's counts with its signatures; repair and audit any drift."""
    if initiative_ids is None:
        initiative_ids = Initiative.objects.filter(status=Status.COLLECTING).values_list(
            "id", flat=True
        )
    drifts: list[Drift] = []
    for initiative_id in list(initiative_ids):
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(_RECOUNT_SQL, [initiative_id])
                rows = cursor.fetchall()
            found = [
                Drift(initiative_id, int(t), int(c), int(p), int(a))
                for t, c, p, a in rows
                if int(a) != int(c) + int(p)
            ]
            if not found:
                continue
            # A repair is itself a slot delta: +d on mask (1 << t) for each track t, and what the
            # total still misses on mask 0 (which counts on the total only).
            by_track = {d.track: d.delta for d in found}
            repairs = {1 << t: d for t, d in by_track.items() if t != TOTAL_TRACK and d}
            rest = by_track.get(TOTAL_TRACK, 0) - sum(repairs.values())
            if rest:
                repairs[0] = rest
            params: list[Any] = []
            for mask, delta in sorted(repairs.items()):  # a signer's lock order
                params += [initiative_id, mask, 0, delta]
            with connection.cursor() as cursor:
                cursor.execute(slot_upsert_sql(len(repairs)), params)
            audit_record(
                actor=None,
                verb="initiative.count_repaired",
                target=("petitions.initiative", initiative_id),
                before=[{"track": d.track, "count": d.published + d.pending} for d in found],
                after=[{"track": d.track, "count": d.actual} for d in found],
            )
            logger.warning("count drift repaired on initiative %s", initiative_id)
            drifts.extend(found)
    return drifts


_CROSSINGS_SQL = f"""
SELECT r.id, c.count
FROM petitions_trackrung r
JOIN petitions_initiativetrack t ON t.id = r.track_id
JOIN petitions_initiative i ON i.id = t.initiative_id
JOIN {COUNTS} c ON c.initiative_id = t.initiative_id AND c.track = t.position
WHERE r.reached_at IS NULL AND r.threshold <= c.count AND i.status IN ({{statuses}}) {{only}}
ORDER BY t.initiative_id, t.position, r."order"
"""  # noqa: S608


def _crossings(initiative_ids: list[int] | None) -> list[TrackRung]:
    """Unreached rungs whose published count has reached the threshold: one join (the unreached
    rungs are a partial index), then the few crossings are loaded as objects."""
    if initiative_ids is None:
        batches: list[list[int] | None] = [None]
        statuses = [Status.COLLECTING]
    else:
        batches = [initiative_ids[i : i + 500] for i in range(0, len(initiative_ids), 500)]
        statuses = [Status.COLLECTING, Status.CLOSED]
    found: dict[int, int] = {}
    for batch in batches:
        only = f"AND t.initiative_id IN ({', '.join(['%s'] * len(batch))})" if batch else ""
        sql = _CROSSINGS_SQL.format(statuses=", ".join(["%s"] * len(statuses)), only=only)
        with connection.cursor() as cursor:
            cursor.execute(sql, [*statuses, *(batch or [])])
            found.update({int(rung_id): int(count) for rung_id, count in cursor.fetchall()})
    if not found:
        return []
    rungs = list(
        TrackRung.objects.filter(pk__in=found)
        .select_related("track")
        .order_by("track__initiative_id", "track__position", "order")
    )
    for rung in rungs:
        rung.current = found[rung.pk]  # type: ignore[attr-defined]
    return rungs


def rungs_evaluate(*, initiative_ids: list[int] | None = None) -> list[int]:
    """Act on every rung whose threshold the published count has reached. Returns the ids of the
    obligations this call created (empty for the worker that lost a race)."""
    created: list[int] = []
    for candidate in _crossings(initiative_ids):
        with transaction.atomic():
            now = timezone.now()
            won = TrackRung.objects.filter(pk=candidate.pk, reached_at__isnull=True).update(
                reached_at=now,
                reached_count=candidate.current,  # type: ignore[attr-defined]
            )
            if not won:
                continue
            obligation = Obligation.objects.create(
                track_rung=candidate,
                initiative_id=candidate.track.initiative_id,
                kind=candidate.obligation_kind,
                text=candidate.obligation_text,
                text_en=candidate.obligation_text_en,
                created_at=now,
                due_at=now + timedelta(days=candidate.due_days),
            )
            initiative = Initiative.objects.select_related("initiator").get(
                pk=candidate.track.initiative_id
            )
            audit_record(
                actor=None,
                verb="initiative.rung_reached",
                target=initiative,
                after={
                    "track": candidate.track.position,
                    "rung": candidate.order,
                    "threshold": candidate.threshold,
                    "count": candidate.current,  # type: ignore[attr-defined]
                    "obligation_id": obligation.pk,
                    "due_at": obligation.due_at,
                },
            )
            webhook_emit(
                event=WebhookEvent.INITIATIVE_RUNG_REACHED,
                payload={
                    "initiative_id": initiative.pk,
                    "track": candidate.track.position,
                    "rung": candidate.order,
                    "threshold": candidate.threshold,
                    "reached_at": now,
                    "obligation_id": obligation.pk,
                    "obligation_kind": obligation.kind,
                    "obligation_due_at": obligation.due_at,
                    "url": f"{settings.SITE_URL}{initiative.get_absolute_url()}",
                },
            )
            notify_all(
                [*people_of(initiative), *moderators()],
                kind="petitions.rung_reached",
                subject=gettext_lazy("Un palier est franchi"),
                body=format_lazy(
                    gettext_lazy(
                        "L'initiative « {title} » a franchi le seuil de {threshold} signatures. La ville s'engage : {text} (échéance le {due})."
                    ),
                    title=initiative.title,
                    threshold=candidate.threshold,
                    text=in_language_lazy(candidate.obligation_text, candidate.obligation_text_en),
                    due=timezone.localtime(obligation.due_at).strftime("%d/%m/%Y"),
                ),
                url=initiative.get_absolute_url(),
            )
            created.append(obligation.pk)
    return created


def counts_tick() -> dict[str, int]:
    """The per-tick job: fold, then act on crossings of the initiatives the fold touched. Its work
    follows the slots and the touched initiatives, never the signatures or the open initiatives."""
    touched = counts_fold()
    created = rungs_evaluate(initiative_ids=touched) if touched else []
    return {"touched": len(touched), "obligations": len(created)}


def rungs_sweep() -> int:
    """A slower safety net: crossings of every collecting initiative (one join over the unreached
    rungs), should a worker have died between a fold and its evaluation."""
    return len(rungs_evaluate())
