"""The published statistics, built by the tick from the maintained aggregates.

Each endpoint's answer is a `StatsDocument` row: the JSON body and its ETag (a digest of the body).
A document whose body did not change keeps its ETag and `updated_at`, so conditional GETs keep
answering 304 until something really changed. Nothing here counts signatures: totals are the
petitions' published counts, series and districts come from this app's aggregates; the
instruments are read only through their selectors.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from assembly.selectors import dashboard_figures
from civic.models import District
from dashboards.models import (
    LISTING_HEAD_ID,
    TOTAL_TRACK,
    DocumentKind,
    FoldState,
    SignatureDistrictCount,
    SignatureHourly,
    StatsDocument,
)
from dashboards.selectors import document_memo_forget
from dashboards.store import fold_turn
from petitions.selectors.dashboards import (
    dashboard_counts,
    dashboard_initiatives,
    dashboard_initiatives_by_status,
    dashboard_obligations,
    dashboard_public_title,
    dashboard_published_initiative_ids,
)
from referendums.selectors import dashboard_campaigns

RECENT = timedelta(days=2)
CHUNK = 200


def digest(body: Any) -> str:
    text = json.dumps(body, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _plain(body: Any) -> Any:
    return json.loads(json.dumps(body, cls=DjangoJSONEncoder))


def _store(
    kind: str, object_id: int, body: dict[str, Any], now: datetime, *, etag: str | None = None
) -> bool:
    body = _plain(body)
    etag = etag or digest(body)
    current = StatsDocument.objects.filter(kind=kind, object_id=object_id).first()
    if current is not None and current.etag == etag:
        return False
    StatsDocument.objects.update_or_create(
        kind=kind, object_id=object_id, defaults={"body": body, "etag": etag, "updated_at": now}
    )
    return True


def suppress(cells: dict[str, int], *, threshold: int) -> set[str]:
    """Cells below the threshold (but not zero) are hidden; when a single cell is hidden, the next
    smallest is hidden too, so the published total does not give it away."""
    hidden = {k for k, v in cells.items() if 0 < v < threshold}
    if len(hidden) == 1:
        rest = sorted((v, k) for k, v in cells.items() if k not in hidden and v > 0)
        if rest:
            hidden.add(rest[0][1])
    return hidden


Bodies = tuple[dict[str, Any], dict[str, Any], dict[str, Any]]  # summary, series, listing
Counts = Mapping[int, tuple[int, datetime | None]]  # track -> (published count, counted at)


def _rungs(track: Any) -> list[dict[str, Any]]:
    return [
        {
            "order": r.order,
            "threshold": r.threshold,
            "reached": r.reached_at is not None,
            "reached_at": r.reached_at,
            "reached_count": r.reached_count,
        }
        for r in track.rungs.all()
    ]


@dataclass
class _Figures:
    """What the documents of a batch of initiatives are built from, read in a fixed number of
    queries: published counts, this app's district and hourly aggregates, the districts."""

    counts: Mapping[int, Counts]
    per_district: dict[int, dict[int, int]]
    hourly: dict[int, dict[int, list[tuple[datetime, int]]]]
    districts: list[District]

    @classmethod
    def read(cls, ids: list[int]) -> _Figures:
        per_district: dict[int, dict[int, int]] = defaultdict(dict)
        for d in SignatureDistrictCount.objects.filter(initiative_id__in=ids):
            per_district[d.initiative_id][d.district_id] = d.count
        hourly: dict[int, dict[int, list[tuple[datetime, int]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for h in SignatureHourly.objects.filter(initiative_id__in=ids, count__gt=0).order_by(
            "initiative_id", "track", "hour"
        ):
            hourly[h.initiative_id][h.track].append((h.hour, h.count))
        return cls(
            counts=dashboard_counts(ids),
            per_district=per_district,
            hourly=hourly,
            districts=list(District.objects.order_by("code")),
        )


def initiative_documents(ids: list[int]) -> dict[int, Bodies]:
    """(summary, series, listing) bodies for the given published initiatives, in a fixed number of queries."""
    initiatives = dashboard_initiatives(ids)
    figures = _Figures.read([i.pk for i in initiatives])
    out: dict[int, Bodies] = {}
    for initiative in initiatives:
        summary = _summary(initiative, figures)
        series = _series_body(initiative, summary["initiative"], figures)
        out[initiative.pk] = (summary, series, _listing(summary))
    return out


def _head(initiative: Any) -> dict[str, Any]:
    return {
        "id": initiative.pk,
        "title": dashboard_public_title(initiative),
        "status": initiative.status,
        "district": initiative.district.code if initiative.district else None,
        "published_at": initiative.published_at,
        "closes_at": initiative.closes_at,
        "closed_at": initiative.closed_at,
    }


def _districts(initiative: Any, figures: _Figures) -> list[dict[str, Any]]:
    """Each district's count, the small cells hidden (see `suppress`)."""
    mine = figures.per_district[initiative.pk]
    cells = {d.code: mine.get(d.pk, 0) for d in figures.districts}
    hidden = suppress(cells, threshold=settings.SMALL_CELL_THRESHOLD)
    return [
        {
            "district": d.code,
            "name": d.name,
            "count": None if d.code in hidden else cells[d.code],
            "suppressed": d.code in hidden,
        }
        for d in figures.districts
    ]


def _summary(initiative: Any, figures: _Figures) -> dict[str, Any]:
    mine = figures.counts.get(initiative.pk, {})
    total, counted_at = mine.get(TOTAL_TRACK, (0, None))
    return {
        "initiative": _head(initiative),
        "total": total,
        "counted_at": counted_at,
        "tracks": [
            {
                "position": t.position,
                "instrument": t.instrument_type.slug,
                "name": t.instrument_type.name,
                "count": mine.get(t.position, (0, None))[0],
                "rungs": _rungs(t),
            }
            for t in initiative.tracks.all()
        ],
        "districts": _districts(initiative, figures),
        "small_cell_threshold": settings.SMALL_CELL_THRESHOLD,
    }


def _series_body(initiative: Any, head: dict[str, Any], figures: _Figures) -> dict[str, Any]:
    tracks = list(initiative.tracks.all())
    labels = {TOTAL_TRACK: "total", **{t.position: t.instrument_type.slug for t in tracks}}
    mine = figures.hourly[initiative.pk]
    return {
        "initiative": head,
        "tracks": [
            {
                "track": track,
                "instrument": labels[track],
                **_series(mine.get(track, [])),
                "rungs": next((_rungs(t) for t in tracks if t.position == track), []),
            }
            for track in [TOTAL_TRACK, *(t.position for t in tracks)]
        ],
    }


def _listing(summary: dict[str, Any]) -> dict[str, Any]:
    return {
        "initiative": summary["initiative"],
        "total": summary["total"],
        "counted_at": summary["counted_at"],
        "tracks": [
            {
                "position": t["position"],
                "instrument": t["instrument"],
                "count": t["count"],
                "rungs_reached": sum(1 for r in t["rungs"] if r["reached"]),
                "next_threshold": next(
                    (r["threshold"] for r in t["rungs"] if not r["reached"]), None
                ),
            }
            for t in summary["tracks"]
        ],
    }


def _series(points: list[tuple[datetime, int]]) -> dict[str, list[dict[str, Any]]]:
    hourly: list[dict[str, Any]] = []
    daily_counts: dict[Any, int] = defaultdict(int)
    running = 0
    for hour, count in points:
        running += count
        hourly.append({"hour": hour, "count": count, "cumulative": running})
        daily_counts[timezone.localtime(hour).date()] += count
    daily, running = [], 0
    for day in sorted(daily_counts):
        running += daily_counts[day]
        daily.append({"date": day, "count": daily_counts[day], "cumulative": running})
    return {"hourly": hourly, "daily": daily}


def city_document(now: datetime) -> dict[str, Any]:
    per_day: dict[Any, int] = defaultdict(int)
    for hour, n in (
        SignatureHourly.objects.filter(track=TOTAL_TRACK)
        .values_list("hour")
        .annotate(n=Sum("count"))
        .order_by("hour")
    ):
        per_day[timezone.localtime(hour).date()] += n or 0
    return {
        "initiatives_by_status": dashboard_initiatives_by_status(),
        "signatures_per_day": [
            {"date": day, "count": n} for day, n in sorted(per_day.items()) if n
        ],
        "obligations": dashboard_obligations(now=now),
        "referendums": dashboard_campaigns(),
        "assembly": dashboard_figures(today=timezone.localdate(now)),
    }


def _store_listing_head(now: datetime) -> bool:
    """The list's total and validators, kept with the documents so that a page never counts: the
    ETag digests every listing's ETag in list order, so it changes exactly when a page could."""
    members = list(
        StatsDocument.objects.filter(kind=DocumentKind.LISTING, object_id__gt=LISTING_HEAD_ID)
        .order_by("-object_id")
        .values_list("object_id", "etag")
    )
    pairs = ";".join(f"{pk}:{etag}" for pk, etag in members)
    etag = hashlib.sha256(pairs.encode()).hexdigest()[:32]
    return _store(DocumentKind.LISTING, LISTING_HEAD_ID, {"count": len(members)}, now, etag=etag)


def documents_rebuild(*, initiative_ids: list[int] | None = None, everything: bool = False) -> int:
    """Rebuild the city document and those of the initiatives that may have changed: the touched
    ones, the collecting ones, those changed recently and published ones without a document."""
    with fold_turn(), transaction.atomic():
        now = timezone.now()
        changed = int(_store(DocumentKind.CITY, 0, city_document(now), now))
        changed += _rebuild_initiatives(_to_rebuild(initiative_ids, everything, now), now)
        _published(changed)
        return changed


def documents_refresh(*, initiative_ids: list[int]) -> int:
    """Rebuild the documents of these initiatives only (their counts moved; the unpublished
    ones among them have none)."""
    with fold_turn(), transaction.atomic():
        now = timezone.now()
        changed = _rebuild_initiatives(sorted(set(initiative_ids)), now)
        _published(changed)
        return changed


def _to_rebuild(initiative_ids: list[int] | None, everything: bool, now: datetime) -> list[int]:
    """Every published initiative, or the touched, collecting and recently changed ones and
    those without a document yet."""
    if everything:
        return sorted(dashboard_published_initiative_ids())
    ids = dashboard_published_initiative_ids(touched=initiative_ids, changed_since=now - RECENT)
    documented = set(
        StatsDocument.objects.filter(kind=DocumentKind.INITIATIVE).values_list(
            "object_id", flat=True
        )
    )
    return sorted(ids | (dashboard_published_initiative_ids() - documented))


def _rebuild_initiatives(ids: list[int], now: datetime) -> int:
    """Store the documents of `ids` (by chunks) and, if a listing changed, the list's head."""
    changed = listed = 0
    for start in range(0, len(ids), CHUNK):
        batch = initiative_documents(ids[start : start + CHUNK])
        for pk, (summary, series, listing) in batch.items():
            changed += _store(DocumentKind.INITIATIVE, pk, summary, now)
            changed += _store(DocumentKind.SERIES, pk, series, now)
            listed += _store(DocumentKind.LISTING, pk, listing, now)
    head = StatsDocument.objects.filter(kind=DocumentKind.LISTING, object_id=LISTING_HEAD_ID)
    if listed or not head.exists():
        listed += _store_listing_head(now)
    return changed + listed


def _published(changed: int) -> None:
    """After a rebuild that changed documents: bump their version, and forget this process's
    memo of their validators once the change commits."""
    if changed:
        FoldState.objects.get_or_create(id=1)
        FoldState.objects.filter(id=1).update(documents_version=F("documents_version") + 1)
        transaction.on_commit(document_memo_forget)
