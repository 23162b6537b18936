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

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from civic.audit import audit_record
from petitions.models import (
    TOTAL_TRACK,
    Initiative,
    InitiativeCount,
    Obligation,
    SignatureCountSlot,
    Status,
    TrackRung,
)
from petitions.selectors import count_cache_key, count_memo_forget
from petitions.services._common import moderators, notify_all, people_of

logger = logging.getLogger(__name__)

SLOTS = SignatureCountSlot._meta.db_table
COUNTS = InitiativeCount._meta.db_table


def _apply_deltas(deltas: dict[tuple[int, int], int], now: Any) -> None:
    if not deltas:
        return
    items = [(i, t, d) for (i, t), d in sorted(deltas.items()) if d]
    if not items:
        return
    at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement for every touched count, whatever their number.
            for start in range(0, len(items), 1000):
                chunk = items[start : start + 1000]
                values = ", ".join(["(%s::bigint, %s::smallint, %s::integer)"] * len(chunk))
                params: list[Any] = [at]
                for item in chunk:
                    params += list(item)
                cursor.execute(
                    f"UPDATE {COUNTS} AS c SET count = c.count + v.d, updated_at = %s "  # noqa: S608
                    f"FROM (VALUES {values}) AS v(i, t, d) "
                    "WHERE c.initiative_id = v.i AND c.track = v.t",
                    params,
                )
        else:
            for initiative_id, track, delta in items:
                cursor.execute(
                    f"UPDATE {COUNTS} SET count = count + %s, updated_at = %s "  # noqa: S608
                    "WHERE initiative_id = %s AND track = %s",
                    [delta, at, initiative_id, track],
                )


def counts_fold() -> list[int]:
    """Publish every pending delta. Returns the ids of the initiatives whose counts changed."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {SLOTS} RETURNING initiative_id, track, delta")  # noqa: S608
            rows = cursor.fetchall()
        deltas: dict[tuple[int, int], int] = defaultdict(int)
        for initiative_id, track, delta in rows:
            deltas[(int(initiative_id), int(track))] += int(delta)
        _apply_deltas(deltas, timezone.now())
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
            WHERE s.initiative_id = c.initiative_id AND s.track = c.track), 0),
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
            with connection.cursor() as cursor:
                for drift in found:
                    cursor.execute(
                        f"INSERT INTO {SLOTS} (initiative_id, track, slot, delta) "  # noqa: S608
                        "VALUES (%s, %s, %s, %s) ON CONFLICT (initiative_id, track, slot) "
                        f"DO UPDATE SET delta = {SLOTS}.delta + excluded.delta",
                        [initiative_id, drift.track, 0, drift.delta],
                    )
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


def _crossings(initiative_ids: list[int] | None) -> list[TrackRung]:
    count = InitiativeCount.objects.filter(
        initiative_id=OuterRef("track__initiative_id"), track=OuterRef("track__position")
    ).values("count")[:1]
    query = TrackRung.objects.filter(reached_at__isnull=True)
    if initiative_ids is None:
        query = query.filter(track__initiative__status=Status.COLLECTING)
    else:
        query = query.filter(
            track__initiative_id__in=initiative_ids,
            track__initiative__status__in=[Status.COLLECTING, Status.CLOSED],
        )
    return list(
        query.annotate(current=Subquery(count))
        .filter(threshold__lte=F("current"))
        .select_related("track")
        .order_by("track__initiative_id", "track__position", "order")
    )


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
                    text=candidate.obligation_text,
                    due=timezone.localtime(obligation.due_at).strftime("%d/%m/%Y"),
                ),
                url=initiative.get_absolute_url(),
            )
            created.append(obligation.pk)
    return created


def counts_tick() -> dict[str, int]:
    """The per-tick job: fold, then act on crossings of the initiatives just touched and (cheaply,
    through the index of unreached rungs) of every collecting initiative."""
    touched = counts_fold()
    created = rungs_evaluate(initiative_ids=touched) if touched else []
    created += rungs_evaluate()
    return {"touched": len(touched), "obligations": len(created)}
