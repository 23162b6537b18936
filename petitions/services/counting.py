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
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from civic.audit import audit_record
from civic.events import publish
from civic.models import WebhookEvent
from civic.webhooks import webhook_emit
from petitions import store
from petitions.models import (
    TOTAL_TRACK,
    Initiative,
    Obligation,
    ObligationStatus,
    Status,
    TrackRung,
)
from petitions.models.instruments import in_language_lazy
from petitions.selectors import count_cache_key, count_memo_forget, count_version_bump
from petitions.services._common import moderators, notify_all, people_of, promoter_ids
from petitions.services.rung_loss import obligations_reinstate

logger = logging.getLogger(__name__)


def counts_fold() -> list[int]:
    """Publish every pending delta (`store.counts_fold_slots`). Returns the ids of the initiatives
    whose counts changed; when some did, publishes `petitions.counts_folded` in the same
    transaction, and forgets the cached counts once it commits."""
    with transaction.atomic():
        now = timezone.now()
        touched = store.counts_fold_slots(now=now)
        if touched:
            publish("petitions.counts_folded", initiative_ids=touched, folded_at=now.isoformat())
            keys = [count_cache_key(i) for i in touched]

            def forget() -> None:
                cache.delete_many(keys)
                count_memo_forget(touched)
                count_version_bump()  # every page showing a count changes now (selectors/counts.py)

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


def counts_recount(*, initiative_ids: Iterable[int] | None = None) -> list[Drift]:
    """Compare every open initiative's counts with its signatures; repair and audit any drift."""
    if initiative_ids is None:
        initiative_ids = Initiative.objects.filter(status=Status.COLLECTING).values_list(
            "id", flat=True
        )
    drifts: list[Drift] = []
    for initiative_id in list(initiative_ids):
        with transaction.atomic():
            found = [
                Drift(initiative_id, track, count, pending, actual)
                for track, count, pending, actual in store.count_audit_rows(initiative_id)
                if actual != count + pending
            ]
            if found:
                _repair(initiative_id, found)
                drifts.extend(found)
    return drifts


def _repair(initiative_id: int, found: list[Drift]) -> None:
    """A repair is itself a slot delta: +d on mask (1 << t) for each track t, and what the total
    still misses on mask 0 (which counts on the total only). Audited."""
    by_track = {d.track: d.delta for d in found}
    repairs = {1 << t: d for t, d in by_track.items() if t != TOTAL_TRACK and d}
    rest = by_track.get(TOTAL_TRACK, 0) - sum(repairs.values())
    if rest:
        repairs[0] = rest
    # Slot 0, in a signer's lock order.
    store.slots_add((initiative_id, mask, 0, delta) for mask, delta in sorted(repairs.items()))
    audit_record(
        actor=None,
        verb="initiative.count_repaired",
        target=("petitions.initiative", initiative_id),
        before=[{"track": d.track, "count": d.published + d.pending} for d in found],
        after=[{"track": d.track, "count": d.actual} for d in found],
    )
    logger.warning("count drift repaired on initiative %s", initiative_id)


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
        found.update(store.rung_crossings(statuses=statuses, initiative_ids=batch))
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
                continue  # another worker reached it first
            initiative = Initiative.objects.select_related("initiator").get(
                pk=candidate.track.initiative_id
            )
            obligation = _obligation_create(candidate, initiative, now)
            _announce_rung(candidate, initiative, obligation)
            transaction.on_commit(count_version_bump)  # the page shows the rung reached
            created.append(obligation.pk)
    return created


def _obligation_create(candidate: TrackRung, initiative: Initiative, now: datetime) -> Obligation:
    """What the city owes for this rung, and the event that tells the other instruments."""
    obligation = Obligation.objects.create(
        track_rung=candidate,
        initiative_id=initiative.pk,
        kind=candidate.obligation_kind,
        text=candidate.obligation_text,
        text_en=candidate.obligation_text_en,
        created_at=now,
        due_at=now + timedelta(days=candidate.due_days),
    )
    _obligation_announce(obligation, initiative)
    return obligation


def _obligation_announce(obligation: Obligation, initiative: Initiative) -> None:
    publish(
        "petitions.obligation_reached",
        obligation_id=obligation.pk,
        initiative_id=initiative.pk,
        kind=obligation.kind,
        title=initiative.title,
        url=initiative.get_absolute_url(),
        reached_at=obligation.created_at.isoformat(),
        initiator_user_ids=[initiative.initiator_id, *promoter_ids(initiative)],
    )


def obligations_announce_open() -> int:
    """Announce every open obligation again (`manage.py announce_open_obligations`): obligations
    reached before the instruments talked by events are then known to their subscribers too.
    Subscribers keep one request per obligation, so announcing twice changes nothing."""
    open_obligations = Obligation.objects.filter(status=ObligationStatus.OPEN).order_by("id")
    announced = 0
    with transaction.atomic():
        for obligation in open_obligations.select_related("initiative"):
            _obligation_announce(obligation, obligation.initiative)
            announced += 1
    return announced


def _announce_rung(candidate: TrackRung, initiative: Initiative, obligation: Obligation) -> None:
    """Audit the crossing, emit the webhook, tell the promoters and the moderators."""
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
            "reached_at": obligation.created_at,
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


def counts_tick() -> dict[str, int]:
    """The per-tick job: fold, then act on crossings of the initiatives the fold touched. Its work
    follows the slots and the touched initiatives, never the signatures or the open initiatives."""
    touched = counts_fold()
    created = rungs_evaluate(initiative_ids=touched) if touched else []
    reinstated = obligations_reinstate(initiative_ids=touched)
    return {"touched": len(touched), "obligations": len(created), "reinstated": len(reinstated)}


def rungs_sweep() -> int:
    """A slower safety net: crossings of every collecting initiative (one join over the unreached
    rungs), should a worker have died between a fold and its evaluation."""
    return len(rungs_evaluate())
