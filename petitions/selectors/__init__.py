"""Reads: lists, details, counts, personal data. No COUNT(*) over signatures on a request path."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.errors import NotFound
from civic.models import User
from petitions import store
from petitions.models import (
    TOTAL_TRACK,
    Initiative,
    InitiativeCount,
    InitiativeTrack,
    InstrumentType,
    Obligation,
    ObligationStatus,
    PaperRejection,
    Promoter,
    Signature,
    TrackRung,
)
from petitions.rules import collection_open_q, is_moderator


def visible_initiatives(viewer: Any) -> QuerySet[Initiative]:
    """Published initiatives for everyone; drafts and reviews for their people and moderators."""
    query = Initiative.objects.all()
    if is_moderator(viewer):
        return query
    if getattr(viewer, "is_authenticated", False):
        return query.filter(
            Q(published_at__isnull=False) | Q(initiator=viewer) | Q(promoters__user=viewer)
        ).distinct()
    return query.filter(published_at__isnull=False)


def initiative_list(*, viewer: Any, filters: dict[str, Any] | None = None) -> QuerySet[Initiative]:
    filters = filters or {}
    query = visible_initiatives(viewer)
    if status := filters.get("status"):
        query = query.filter(status=status)
    if district := filters.get("district"):
        query = query.filter(district__code=district)
    if instrument := filters.get("instrument"):
        query = query.filter(tracks__instrument_type__slug=instrument)
    if text := (filters.get("q") or "").strip():
        query = query.filter(Q(title__icontains=text) | Q(summary__icontains=text))
    if filters.get("mine") and getattr(viewer, "is_authenticated", False):
        query = query.filter(Q(initiator=viewer) | Q(promoters__user=viewer))
    return (
        query.select_related("district")
        .prefetch_related(
            Prefetch(
                "tracks",
                queryset=InitiativeTrack.objects.select_related("instrument_type").order_by(
                    "position"
                ),
            ),
            Prefetch("counts", queryset=InitiativeCount.objects.order_by("track")),
        )
        .distinct()
        .order_by("-published_at", "-id")
    )


def initiative_get(*, initiative_id: int, viewer: Any) -> Initiative:
    try:
        return (
            visible_initiatives(viewer)
            .select_related("district", "initiator", "rejection_reason")
            .prefetch_related(
                Prefetch(
                    "tracks",
                    queryset=InitiativeTrack.objects.select_related("instrument_type")
                    .prefetch_related(
                        Prefetch(
                            "rungs",
                            queryset=TrackRung.objects.select_related("obligation").order_by(
                                "order"
                            ),
                        )
                    )
                    .order_by("position"),
                ),
                Prefetch("counts", queryset=InitiativeCount.objects.order_by("track")),
                Prefetch("promoters", queryset=Promoter.objects.select_related("user")),
            )
            .get(pk=initiative_id)
        )
    except Initiative.DoesNotExist:
        raise NotFound(_("Initiative introuvable."), code="initiative_not_found") from None


@dataclass(frozen=True)
class PublishedCount:
    total: int
    tracks: dict[int, int]
    updated_at: datetime


def count_cache_key(initiative_id: int) -> str:
    return f"petitions:count:{initiative_id}"


# A cached count lives at most two ticks: the fold deletes the key when it commits, and a reader that
# raced the fold can only re-cache a value that is older than that by less than this.
COUNT_CACHE_SECONDS = 2 * int(settings.CIVIC_TICK_SECONDS)


# Each web process also remembers a count for one second: the most read endpoint of a surge then
# costs no network round trip at all, and a count is never staler than one tick plus a second.
_MEMO: dict[int, tuple[float, PublishedCount]] = {}
_MEMO_SECONDS = 1.0
_MEMO_MAX = 10_000


def count_memo_forget(initiative_ids: list[int] | None = None) -> None:
    if initiative_ids is None:
        _MEMO.clear()
    for initiative_id in initiative_ids or []:
        _MEMO.pop(initiative_id, None)


def initiative_count(*, initiative_id: int) -> PublishedCount:
    """The published counts: from this process's one-second memo, the shared cache, or one indexed
    read of the rows (they exist only for published initiatives). Never a COUNT(*) of signatures."""
    now = time.monotonic()
    memo = _MEMO.get(initiative_id)
    if memo is not None and memo[0] > now:
        return memo[1]
    key = count_cache_key(initiative_id)
    cached = cache.get(key)
    if cached is not None:
        return _remember(initiative_id, PublishedCount(*cached), now)
    rows = store.published_count_rows(initiative_id)
    if not rows:
        raise NotFound(_("Initiative introuvable."), code="initiative_not_found")
    tracks = {t: c for t, c, _u in rows if t != TOTAL_TRACK}
    total = next((c for t, c, _u in rows if t == TOTAL_TRACK), 0)
    result = PublishedCount(total, tracks, max(u for _t, _c, u in rows))
    cache.set(key, (result.total, result.tracks, result.updated_at), COUNT_CACHE_SECONDS)
    return _remember(initiative_id, result, now)


def _remember(initiative_id: int, count: PublishedCount, now: float) -> PublishedCount:
    if len(_MEMO) >= _MEMO_MAX:
        _MEMO.clear()
    _MEMO[initiative_id] = (now + _MEMO_SECONDS, count)
    return count


def counts_of(initiative: Initiative) -> dict[int, int]:
    """Published counts from a prefetched `counts` relation: {track position or TOTAL_TRACK: n}."""
    return {c.track: c.count for c in initiative.counts.all()}


def paper_rejection_counts(*, initiative_id: int) -> dict[str, int]:
    rows = (
        PaperRejection.objects.filter(initiative_id=initiative_id)
        .values("reason")
        .annotate(n=Count("id"))
        .order_by("reason")
    )
    return {r["reason"]: r["n"] for r in rows}


def obligations_public(*, overdue: bool | None = None) -> QuerySet[Obligation]:
    query = Obligation.objects.filter(initiative__published_at__isnull=False).select_related(
        "initiative"
    )
    if overdue is True:
        query = query.filter(status=ObligationStatus.OPEN, due_at__lt=timezone.now())
    return query.order_by("due_at", "id")


def is_overdue(obligation: Obligation) -> bool:
    return obligation.status == ObligationStatus.OPEN and obligation.due_at < timezone.now()


def signatures_of(*, user: User) -> QuerySet[Signature]:
    if not user.is_authenticated or user.register_entry_id is None:
        return Signature.objects.none()
    return (
        Signature.objects.filter(register_entry_id=user.register_entry_id)
        .select_related("initiative")
        .order_by("-created_at", "-id")
    )


def has_signed(*, user: Any, initiative_id: int) -> bool:
    if not getattr(user, "is_authenticated", False) or user.register_entry_id is None:
        return False
    return Signature.objects.filter(
        initiative_id=initiative_id, register_entry_id=user.register_entry_id
    ).exists()


def counts_last_modified(initiative_ids: list[int]) -> datetime | None:
    result = InitiativeCount.objects.filter(initiative_id__in=initiative_ids).aggregate(
        m=Max("updated_at")
    )
    return result["m"]


# --- Hooks called by the civic core --------------------------------------------------------------


def home_section(request: HttpRequest) -> dict[str, Any] | None:
    items = []
    for initiative in Initiative.objects.filter(collection_open_q(timezone.now())).order_by(
        "closes_at"
    )[:5]:
        assert initiative.closes_at is not None
        items.append(
            {
                "title": initiative.title,
                "url": initiative.get_absolute_url(),
                "note": _("signatures jusqu'au %(date)s")
                % {"date": timezone.localtime(initiative.closes_at).strftime("%d/%m/%Y")},
            }
        )
    return {
        "title": _("Initiatives en cours de signature"),
        "items": items,
        "empty": _("Aucune initiative ne recueille de signatures en ce moment."),
    }


def personal_data_export(*, user: User) -> dict[str, Any]:
    return {
        "initiatives_started": [
            {"id": i.pk, "title": i.title, "status": i.status, "created_at": i.created_at}
            for i in Initiative.objects.filter(initiator=user).order_by("id")
        ],
        "promoter_of": [
            {
                "initiative_id": p.initiative_id,
                "invited_at": p.invited_at,
                "cosigned_at": p.cosigned_at,
            }
            for p in Promoter.objects.filter(user=user).order_by("id")
        ],
        "signatures": [
            {
                "initiative_id": s.initiative_id,
                "initiative_title": s.initiative.title,
                "channel": s.channel,
                "signed_at": s.created_at,
                "eligibility_facts": s.facts,
                "district_id": s.district_id,
            }
            for s in signatures_of(user=user)
        ],
    }


def retention_periods() -> list[dict[str, Any]]:
    """For the privacy notice (civic/legal/retention.py): each instrument type's period, the very
    field `signatures_purge_due` applies."""
    return [
        {
            "key": f"petitions:{kind.pk}",
            "what": _("Signataires : %(name)s") % {"name": kind.name},
            "days": kind.retention_days,
            "starts": _(
                "après la clôture de la collecte (et tant qu'une obligation reste ouverte)"
            ),
        }
        for kind in InstrumentType.objects.order_by("name").only("pk", "name", "retention_days")
    ]
