"""Public statistics API: each answer is a document the tick maintains, served with validators.

One query per request (two for the paginated list; a 304 reads only the validators), `ETag` and `Last-Modified` from the document,
304 on a matching conditional GET, and `Cache-Control: public, max-age=<tick>`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.http import http_date, parse_http_date_safe
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from civic.api.pagination import Pagination, page_of
from dashboards import selectors
from dashboards.models import DocumentKind


def _etag_matches(header: str, etag: str) -> bool:
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in tags or f'"{etag}"' in tags


def _validators(head: selectors.Head) -> dict[str, str]:
    return {
        "ETag": f'"{head.etag}"',
        "Last-Modified": http_date(int(head.updated_at.timestamp())),
        "Cache-Control": f"public, max-age={int(settings.CIVIC_TICK_SECONDS)}",
    }


def is_fresh(request: Request | HttpRequest, head: selectors.Head) -> bool:
    """If-None-Match wins over If-Modified-Since (RFC 9110)."""
    inm = request.headers.get("If-None-Match")
    if inm is not None:
        return _etag_matches(inm, head.etag)
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return since is not None and int(head.updated_at.timestamp()) <= since


def is_conditional(request: Request | HttpRequest) -> bool:
    return "If-None-Match" in request.headers or "If-Modified-Since" in request.headers


def document_response(request: Request, *, kind: str, object_id: int = 0) -> HttpResponse:
    """304 from the validators alone when the client is current; otherwise the stored text."""
    if is_conditional(request):
        head = selectors.document_head(kind=kind, object_id=object_id)
        if is_fresh(request, head):
            return HttpResponseNotModified(headers=_validators(head))
    document = selectors.document_get(kind=kind, object_id=object_id)
    if is_conditional(request) and is_fresh(request, document):
        return HttpResponseNotModified(headers=_validators(document))
    return HttpResponse(
        document.text, content_type="application/json", headers=_validators(document)
    )


class _Public(APIView):
    """Public, identical for everyone: no authentication, session or throttle work."""

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    throttle_classes: list[Any] = []


class StatsDistrictCellOutput(serializers.Serializer):
    district = serializers.CharField()
    name = serializers.CharField()
    count = serializers.IntegerField(allow_null=True, help_text="null when suppressed")
    suppressed = serializers.BooleanField()


class StatsRungOutput(serializers.Serializer):
    order = serializers.IntegerField()
    threshold = serializers.IntegerField()
    reached = serializers.BooleanField()
    reached_at = serializers.DateTimeField(allow_null=True)
    reached_count = serializers.IntegerField(allow_null=True)


class StatsInitiativeHeadOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField()
    district = serializers.CharField(allow_null=True)
    published_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)


class StatsTrackStatsOutput(serializers.Serializer):
    position = serializers.IntegerField()
    instrument = serializers.CharField()
    name = serializers.CharField()
    count = serializers.IntegerField()
    rungs = StatsRungOutput(many=True)


class StatsInitiativeStatsOutput(serializers.Serializer):
    initiative = StatsInitiativeHeadOutput()
    total = serializers.IntegerField()
    counted_at = serializers.DateTimeField(allow_null=True)
    tracks = StatsTrackStatsOutput(many=True)
    districts = StatsDistrictCellOutput(many=True)
    small_cell_threshold = serializers.IntegerField()


class StatsListingTrackOutput(serializers.Serializer):
    position = serializers.IntegerField()
    instrument = serializers.CharField()
    count = serializers.IntegerField()
    rungs_reached = serializers.IntegerField()
    next_threshold = serializers.IntegerField(allow_null=True)


class StatsListingOutput(serializers.Serializer):
    initiative = StatsInitiativeHeadOutput()
    total = serializers.IntegerField()
    counted_at = serializers.DateTimeField(allow_null=True)
    tracks = StatsListingTrackOutput(many=True)


class StatsHourPointOutput(serializers.Serializer):
    hour = serializers.DateTimeField()
    count = serializers.IntegerField()
    cumulative = serializers.IntegerField()


class StatsDayPointOutput(serializers.Serializer):
    date = serializers.DateField()
    count = serializers.IntegerField()
    cumulative = serializers.IntegerField()


class StatsTrackSeriesOutput(serializers.Serializer):
    track = serializers.IntegerField(help_text="-1 is the total of all tracks")
    instrument = serializers.CharField()
    hourly = StatsHourPointOutput(many=True)
    daily = StatsDayPointOutput(many=True)
    rungs = StatsRungOutput(many=True)


class StatsSeriesOutput(serializers.Serializer):
    initiative = StatsInitiativeHeadOutput()
    tracks = StatsTrackSeriesOutput(many=True)


class StatsCityDayOutput(serializers.Serializer):
    date = serializers.DateField()
    count = serializers.IntegerField()


class StatsCityStatsOutput(serializers.Serializer):
    initiatives_by_status = serializers.DictField(child=serializers.IntegerField())
    signatures_per_day = StatsCityDayOutput(many=True)
    obligations = serializers.DictField(
        help_text="open, overdue, due_within_7_days, done, items (the 50 next due)"
    )
    referendums = serializers.ListField(
        child=serializers.DictField(),
        help_text="turnout while open; results only once published",
    )
    assembly = serializers.DictField(
        help_text="sessions by status, votes, recommendations by status, answers_overdue"
    )


class CityStatsApi(_Public):
    @extend_schema(
        operation_id="stats_city",
        summary="City-wide statistics",
        description=(
            "Initiatives by status, signatures per day, obligations open/overdue/due soon, "
            "referendum turnout while a vote is open and results once published (never a partial "
            "result), assembly activity. Rebuilt every tick; conditional GET supported."
        ),
        responses={200: StatsCityStatsOutput, 304: OpenApiResponse(description="Not modified")},
    )
    def get(self, request: Request) -> HttpResponse:
        return document_response(request, kind=DocumentKind.CITY)


class InitiativeStatsListApi(_Public):
    pagination_class = Pagination

    @extend_schema(
        operation_id="stats_initiatives_list",
        summary="Every published initiative in short: totals, rungs reached, next threshold",
        description="Paginated (page, page_size ≤ 100), newest first; details per initiative at "
        "stats/initiatives/{id}/.",
        responses={
            200: page_of(StatsListingOutput),
            304: OpenApiResponse(description="Not modified"),
        },
    )
    def get(self, request: Request) -> HttpResponse:
        """Two queries whatever the page size (count, page); the page is the stored texts joined."""
        paginator = Pagination()
        page = paginator.paginate_queryset(selectors.initiative_documents(), request, view=self)
        rows = list(page or [])
        head = selectors.Head(
            etag=hashlib.sha256(",".join(r[0] for r in rows).encode()).hexdigest()[:32],
            updated_at=max((r[1] for r in rows), default=timezone.now()),
        )
        if is_conditional(request) and is_fresh(request, head):
            return HttpResponseNotModified(headers=_validators(head))
        assert paginator.page is not None
        envelope = json.dumps(
            {
                "count": paginator.page.paginator.count,
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
                "results": [],
            }
        )
        text = envelope[:-2] + ",".join(r[2] for r in rows) + "]}"
        return HttpResponse(text, content_type="application/json", headers=_validators(head))


class InitiativeStatsApi(_Public):
    @extend_schema(
        operation_id="stats_initiative",
        summary="One initiative: total, per track with rungs reached and dates, per district",
        description=(
            "District cells below SMALL_CELL_THRESHOLD are present with count null and "
            "suppressed true (with a second cell when one alone would be deducible)."
        ),
        responses={
            200: StatsInitiativeStatsOutput,
            304: OpenApiResponse(description="Not modified"),
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        return document_response(request, kind=DocumentKind.INITIATIVE, object_id=pk)


class InitiativeSeriesApi(_Public):
    @extend_schema(
        operation_id="stats_initiative_signatures",
        summary="One initiative: signatures over time, hourly and daily, per track",
        responses={200: StatsSeriesOutput, 304: OpenApiResponse(description="Not modified")},
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        return document_response(request, kind=DocumentKind.SERIES, object_id=pk)
