"""The published statistics, built by the tick from the maintained aggregates.

Each endpoint's answer is a `StatsDocument` row: the JSON body and its ETag (a digest of the body).
A document whose body did not change keeps its ETag and `updated_at`, so conditional GETs keep
answering 304 until something really changed. Nothing here counts signatures: totals are the
published `InitiativeCount`, series and districts come from this app's aggregates.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Sum
from django.utils import timezone

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
from petitions.models import (
    Initiative,
    InitiativeCount,
    InitiativeTrack,
    Obligation,
    ObligationStatus,
    Status,
    TrackRung,
)

logger = logging.getLogger(__name__)

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


def _rungs(track: InitiativeTrack) -> list[dict[str, Any]]:
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


def _initiatives(ids: list[int]) -> list[Initiative]:
    return list(
        Initiative.objects.filter(pk__in=ids, published_at__isnull=False)
        .select_related("district")
        .prefetch_related(
            Prefetch(
                "tracks",
                queryset=InitiativeTrack.objects.select_related("instrument_type")
                .prefetch_related(Prefetch("rungs", queryset=TrackRung.objects.order_by("order")))
                .order_by("position"),
            )
        )
        .order_by("pk")
    )


def initiative_documents(
    ids: list[int],
) -> dict[int, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """(summary, series, listing) bodies for the given published initiatives, in a fixed number of queries."""
    initiatives = _initiatives(ids)
    ids = [i.pk for i in initiatives]
    counts: dict[int, dict[int, tuple[int, datetime]]] = defaultdict(dict)
    for c in InitiativeCount.objects.filter(initiative_id__in=ids):
        counts[c.initiative_id][c.track] = (c.count, c.updated_at)
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
    districts = list(District.objects.order_by("code"))
    threshold = settings.SMALL_CELL_THRESHOLD
    out: dict[int, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {}
    for initiative in initiatives:
        mine = counts.get(initiative.pk, {})
        tracks = list(initiative.tracks.all())
        cells = {d.code: per_district[initiative.pk].get(d.pk, 0) for d in districts}
        hidden = suppress(cells, threshold=threshold)
        head = {
            "id": initiative.pk,
            "title": initiative.title,
            "status": initiative.status,
            "district": initiative.district.code if initiative.district else None,
            "published_at": initiative.published_at,
            "closes_at": initiative.closes_at,
            "closed_at": initiative.closed_at,
        }
        track_stats: list[dict[str, Any]] = [
            {
                "position": t.position,
                "instrument": t.instrument_type.slug,
                "name": t.instrument_type.name,
                "count": mine.get(t.position, (0, None))[0],
                "rungs": _rungs(t),
            }
            for t in tracks
        ]
        summary = {
            "initiative": head,
            "total": mine.get(TOTAL_TRACK, (0, None))[0],
            "counted_at": mine.get(TOTAL_TRACK, (0, None))[1],
            "tracks": track_stats,
            "districts": [
                {
                    "district": d.code,
                    "name": d.name,
                    "count": None if d.code in hidden else cells[d.code],
                    "suppressed": d.code in hidden,
                }
                for d in districts
            ],
            "small_cell_threshold": threshold,
        }
        labels = {TOTAL_TRACK: "total", **{t.position: t.instrument_type.slug for t in tracks}}
        series = {
            "initiative": head,
            "tracks": [
                {
                    "track": track,
                    "instrument": labels[track],
                    **_series(hourly[initiative.pk].get(track, [])),
                    "rungs": next((_rungs(t) for t in tracks if t.position == track), []),
                }
                for track in [TOTAL_TRACK, *(t.position for t in tracks)]
            ],
        }
        listing = {
            "initiative": head,
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
                for t in track_stats
            ],
        }
        out[initiative.pk] = (summary, series, listing)
    return out


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


def _referendums() -> list[dict[str, Any]]:
    from referendums.models.campaigns import Campaign, CampaignStatus
    from referendums.selectors import results_get, turnout

    shown = [
        CampaignStatus.VOTING,
        CampaignStatus.CLOSED,
        CampaignStatus.RESULTS_PUBLISHED,
        CampaignStatus.ARCHIVED,
    ]
    out = []
    for campaign in Campaign.objects.filter(status__in=shown).order_by("-voting_opens_at", "-id"):
        entry: dict[str, Any] = {
            "id": campaign.pk,
            "title": campaign.title_fr,
            "status": campaign.status,
            "voting_opens_at": campaign.voting_opens_at,
            "voting_closes_at": campaign.voting_closes_at,
            "turnout": None,
            "results": None,
        }
        try:
            entry["turnout"] = turnout(campaign=campaign)
            # Never a partial result: results only once the city has published them.
            if campaign.status in (CampaignStatus.RESULTS_PUBLISHED, CampaignStatus.ARCHIVED):
                entry["results"] = results_get(campaign=campaign)
        except Exception:  # a campaign the referendums app refuses to describe is left out
            logger.exception("referendum %s left out of the dashboard", campaign.pk)
            continue
        out.append(entry)
    return out


def _assembly(today: Any) -> dict[str, Any]:
    from assembly.models import Motion, Recommendation, Session

    motions = dict(
        Motion.objects.filter(status="closed")
        .values_list("result")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {
        "sessions": dict(Session.objects.values_list("status").annotate(n=Count("id")).order_by()),
        "votes": {
            "closed": sum(motions.values()),
            "adopted": motions.get("adopted", 0),
            "rejected": motions.get("rejected", 0),
        },
        "recommendations": dict(
            Recommendation.objects.values_list("status").annotate(n=Count("id")).order_by()
        ),
        "answers_overdue": Recommendation.objects.filter(
            status="referred", answer_due__lt=today
        ).count(),
    }


def city_document(now: datetime) -> dict[str, Any]:
    by_status = dict(
        Initiative.objects.exclude(status=Status.DRAFT)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    per_day: dict[Any, int] = defaultdict(int)
    for hour, n in (
        SignatureHourly.objects.filter(track=TOTAL_TRACK)
        .values_list("hour")
        .annotate(n=Sum("count"))
        .order_by("hour")
    ):
        per_day[timezone.localtime(hour).date()] += n or 0
    open_ = Obligation.objects.filter(status=ObligationStatus.OPEN)
    obligations = Obligation.objects.aggregate(
        open=Count("id", filter=Q(status=ObligationStatus.OPEN)),
        overdue=Count("id", filter=Q(status=ObligationStatus.OPEN, due_at__lt=now)),
        due_within_7_days=Count(
            "id",
            filter=Q(status=ObligationStatus.OPEN, due_at__gte=now, due_at__lt=now + timedelta(7)),
        ),
        done=Count("id", filter=Q(status=ObligationStatus.DONE)),
    )
    obligations["items"] = [
        {
            "id": o.pk,
            "initiative_id": o.initiative_id,
            "kind": o.kind,
            "due_at": o.due_at,
            "overdue": o.due_at < now,
        }
        for o in open_.order_by("due_at", "id")[:50]
    ]
    return {
        "initiatives_by_status": {
            s.value: by_status.get(s.value, 0) for s in Status if s != "draft"
        },
        "signatures_per_day": [
            {"date": day, "count": n} for day, n in sorted(per_day.items()) if n
        ],
        "obligations": obligations,
        "referendums": _referendums(),
        "assembly": _assembly(timezone.localdate(now)),
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
    from dashboards.services.fold import fold_turn

    with fold_turn(), transaction.atomic():
        return _rebuild(initiative_ids=initiative_ids, everything=everything)


def _rebuild(*, initiative_ids: list[int] | None, everything: bool) -> int:
    now = timezone.now()
    changed = int(_store(DocumentKind.CITY, 0, city_document(now), now))
    query = Initiative.objects.filter(published_at__isnull=False)
    if not everything:
        has_doc = StatsDocument.objects.filter(
            kind=DocumentKind.INITIATIVE, object_id=OuterRef("pk")
        )
        query = query.filter(
            Q(pk__in=initiative_ids or [])
            | Q(status=Status.COLLECTING)
            | Q(updated_at__gte=now - RECENT)
            | ~Exists(has_doc)
        )
    ids = sorted(query.values_list("pk", flat=True))
    listed = 0
    for start in range(0, len(ids), CHUNK):
        batch = initiative_documents(ids[start : start + CHUNK])
        for pk, (summary, series, listing) in batch.items():
            changed += _store(DocumentKind.INITIATIVE, pk, summary, now)
            changed += _store(DocumentKind.SERIES, pk, series, now)
            listed += _store(DocumentKind.LISTING, pk, listing, now)
    changed += listed
    head = StatsDocument.objects.filter(kind=DocumentKind.LISTING, object_id=LISTING_HEAD_ID)
    if listed or not head.exists():
        changed += _store_listing_head(now)
    if changed:
        from dashboards.selectors import document_memo_forget

        FoldState.objects.get_or_create(id=1)
        FoldState.objects.filter(id=1).update(documents_version=F("documents_version") + 1)
        transaction.on_commit(document_memo_forget)
    return changed
