"""What the dashboards read of the initiatives: rows and totals, never the models themselves."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Sum

from petitions import models as _dash
from petitions.rules import public_text, public_title

# A signature as the dashboards' fold reads it: id, initiative, district, track mask, created at.
DASHBOARD_SIGNATURE_FIELDS = ("id", "initiative_id", "district_id", "track_mask", "created_at")


def dashboard_track_positions(mask: int) -> list[int]:
    """The track positions whose bit is set in a signature's mask."""
    return [p for p in range(_dash.MAX_TRACKS) if mask & (1 << p)]


def dashboard_signature_rows(*, after_id: int, limit: int) -> list[tuple[Any, ...]]:
    """Up to `limit` signatures with an id above `after_id`, in id order (a primary-key range)."""
    return list(
        _dash.Signature.objects.filter(id__gt=after_id, invalidation__isnull=True)
        .order_by("id")
        .values_list(*DASHBOARD_SIGNATURE_FIELDS)[:limit]
    )


def dashboard_signature_ids(*, initiative_id: int) -> QuerySet[Any]:
    """The ids of one initiative's signatures, as a subquery for the reader's own tables."""
    return _dash.Signature.objects.filter(
        initiative_id=initiative_id, invalidation__isnull=True
    ).values("id")


def dashboard_signature_rows_except(
    *, initiative_id: int, seen_ids: QuerySet[Any]
) -> list[tuple[Any, ...]]:
    """One initiative's signatures whose id is not in `seen_ids` (a subquery of ids)."""
    return list(
        _dash.Signature.objects.filter(initiative_id=initiative_id, invalidation__isnull=True)
        .exclude(id__in=seen_ids)
        .values_list(*DASHBOARD_SIGNATURE_FIELDS)
    )


def dashboard_exact_totals(initiative_ids: list[int]) -> dict[int, int]:
    """Published count plus pending slot deltas: the exact number of each initiative's signatures."""
    totals = {
        row["initiative_id"]: row["count"]
        for row in _dash.InitiativeCount.objects.filter(
            initiative_id__in=initiative_ids, track=_dash.TOTAL_TRACK
        ).values("initiative_id", "count")
    }
    for row in (
        _dash.SignatureCountSlot.objects.filter(initiative_id__in=initiative_ids)
        .values("initiative_id")
        .annotate(d=Sum("delta"))
        .order_by()
    ):
        totals[row["initiative_id"]] = totals.get(row["initiative_id"], 0) + (row["d"] or 0)
    return totals


def dashboard_counts_moved(*, since: datetime | None) -> set[int]:
    """Initiatives whose published total moved since `since` (every counted one for None)."""
    query = _dash.InitiativeCount.objects.filter(track=_dash.TOTAL_TRACK)
    if since is not None:
        query = query.filter(updated_at__gte=since)
    return set(query.values_list("initiative_id", flat=True))


def dashboard_initiatives(ids: list[int]) -> list[Any]:
    """The published ones among `ids`, with district, tracks (instrument type, rungs in order)."""
    tracks = (
        _dash.InitiativeTrack.objects.select_related("instrument_type")
        .prefetch_related(Prefetch("rungs", queryset=_dash.TrackRung.objects.order_by("order")))
        .order_by("position")
    )
    return list(
        _dash.Initiative.objects.filter(pk__in=ids, published_at__isnull=False)
        .select_related("district")
        .prefetch_related(Prefetch("tracks", queryset=tracks))
        .order_by("pk")
    )


def dashboard_counts(ids: list[int]) -> dict[int, dict[int, tuple[int, datetime]]]:
    """initiative -> track (TOTAL for the total) -> (published count, counted at)."""
    counts: dict[int, dict[int, tuple[int, datetime]]] = {}
    for c in _dash.InitiativeCount.objects.filter(initiative_id__in=ids):
        counts.setdefault(c.initiative_id, {})[c.track] = (c.count, c.updated_at)
    return counts


def dashboard_published_initiative_ids(
    *, touched: list[int] | None = None, changed_since: datetime | None = None
) -> set[int]:
    """Published initiatives: all of them, or (with `changed_since`) the touched, the collecting
    and those changed since then."""
    query = _dash.Initiative.objects.filter(published_at__isnull=False)
    if changed_since is not None:
        query = query.filter(
            Q(pk__in=touched or [])
            | Q(status=_dash.Status.COLLECTING)
            | Q(updated_at__gte=changed_since)
        )
    return set(query.values_list("pk", flat=True))


def dashboard_initiatives_by_status() -> dict[str, int]:
    """How many initiatives each status holds, drafts left out (every other status listed)."""
    found = dict(
        _dash.Initiative.objects.exclude(status=_dash.Status.DRAFT)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {s.value: found.get(s.value, 0) for s in _dash.Status if s != _dash.Status.DRAFT}


def dashboard_status_labels() -> dict[str, str]:
    return {value: str(label) for value, label in _dash.Status.choices}


def dashboard_obligations(*, now: datetime) -> dict[str, Any]:
    """The city's obligations: open, overdue, due within 7 days, done; the first 50 open ones."""
    open_ = _dash.ObligationStatus.OPEN
    figures: dict[str, Any] = _dash.Obligation.objects.aggregate(
        open=Count("id", filter=Q(status=open_)),
        overdue=Count("id", filter=Q(status=open_, due_at__lt=now)),
        due_within_7_days=Count(
            "id", filter=Q(status=open_, due_at__gte=now, due_at__lt=now + timedelta(7))
        ),
        done=Count("id", filter=Q(status=_dash.ObligationStatus.DONE)),
    )
    figures["items"] = [
        {
            "id": o.pk,
            "initiative_id": o.initiative_id,
            "kind": o.kind,
            "due_at": o.due_at,
            "overdue": o.due_at < now,
        }
        for o in _dash.Obligation.objects.filter(status=open_).order_by("due_at", "id")[:50]
    ]
    return figures


def dashboard_opendata_initiatives() -> QuerySet[Any]:
    """Published initiatives with their district and tracks' instrument types, by id."""
    tracks = _dash.InitiativeTrack.objects.select_related("instrument_type").order_by("position")
    return (
        _dash.Initiative.objects.filter(published_at__isnull=False)
        .select_related("district")
        .prefetch_related(Prefetch("tracks", queryset=tracks))
        .order_by("pk")
    )


def dashboard_opendata_counts() -> Iterator[tuple[Any, str | None]]:
    """Each published count row with its track's instrument slug ("total" for the total)."""
    tracks = {
        (t.initiative_id, t.position): t.instrument_type.slug
        for t in _dash.InitiativeTrack.objects.filter(initiative__published_at__isnull=False)
        .select_related("instrument_type")
        .only("initiative_id", "position", "instrument_type__slug")
    }
    query = _dash.InitiativeCount.objects.filter(initiative__published_at__isnull=False).order_by(
        "initiative_id", "track"
    )
    for c in query.iterator(chunk_size=2000):
        yield c, ("total" if c.track < 0 else tracks.get((c.initiative_id, c.track)))


def dashboard_opendata_rungs() -> QuerySet[Any]:
    return (
        _dash.TrackRung.objects.filter(track__initiative__published_at__isnull=False)
        .select_related("track__instrument_type")
        .order_by("track__initiative_id", "track__position", "order")
    )


def dashboard_opendata_obligations() -> QuerySet[Any]:
    return _dash.Obligation.objects.order_by("id")


def dashboard_published_initiative(initiative_id: int) -> Any | None:
    return _dash.Initiative.objects.filter(pk=initiative_id, published_at__isnull=False).first()


def dashboard_signatory_rows(initiative_id: int) -> Iterator[dict[str, Any]]:
    """One initiative's signatories for the admissibility check (personal data), by signature id."""
    query = (
        _dash.Signature.objects.filter(initiative_id=initiative_id, invalidation__isnull=True)
        .select_related("register_entry", "district")
        .order_by("id")
    )
    for s in query.iterator(chunk_size=2000):
        yield {
            "signature_id": s.pk,
            "signed_at": s.created_at.isoformat(),
            "channel": s.channel,
            "register_ref": s.register_entry.ref,
            "last_name": s.register_entry.last_name,
            "first_names": s.register_entry.first_names,
            "birth_date": s.register_entry.birth_date.isoformat(),
            "district": s.district.code,
            "tracks_mask": s.track_mask,
        }


def dashboard_public_title(initiative: Any) -> str:
    """The name the public reads (rules.public_title: "Initiative dépubliée" once unpublished)."""
    return public_title(initiative)


def dashboard_public_summary(initiative: Any) -> str:
    """The summary the public reads (empty once unpublished)."""
    return public_text(initiative, "summary")
