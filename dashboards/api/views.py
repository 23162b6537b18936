"""Public statistics API: each answer is a document the tick maintains, served with validators.

One query per request (two for the paginated list), `ETag` and `Last-Modified` from the document,
304 on a matching conditional GET, and `Cache-Control: public, max-age=<tick>`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils.http import http_date, parse_http_date_safe
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from civic.api.pagination import Pagination
from dashboards import selectors
from dashboards.models import DocumentKind, StatsDocument


def _etag_matches(header: str, etag: str) -> bool:
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in tags or f'"{etag}"' in tags


def conditional(
    request: Request, *, etag: str, updated_at: datetime, body: Any = None
) -> Response:
    """The document, or 304 when the client's copy is current (If-None-Match wins over
    If-Modified-Since, as RFC 9110 says)."""
    inm = request.headers.get("If-None-Match")
    ims = request.headers.get("If-Modified-Since")
    last_modified = int(updated_at.timestamp())
    fresh = False
    if inm is not None:
        fresh = _etag_matches(inm, etag)
    elif ims is not None:
        since = parse_http_date_safe(ims)
        fresh = since is not None and last_modified <= since
    response = Response(status=304) if fresh else Response(body)
    response["ETag"] = f'"{etag}"'
    response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = f"public, max-age={int(settings.CIVIC_TICK_SECONDS)}"
    return response


def _document_response(request: Request, document: StatsDocument) -> Response:
    return conditional(
        request, etag=document.etag, updated_at=document.updated_at, body=document.body
    )


class DistrictCellOutput(serializers.Serializer):
    district = serializers.CharField()
    name = serializers.CharField()
    count = serializers.IntegerField(allow_null=True, help_text="null when suppressed")
    suppressed = serializers.BooleanField()


class RungOutput(serializers.Serializer):
    order = serializers.IntegerField()
    threshold = serializers.IntegerField()
    reached = serializers.BooleanField()
    reached_at = serializers.DateTimeField(allow_null=True)
    reached_count = serializers.IntegerField(allow_null=True)


class InitiativeHeadOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField()
    district = serializers.CharField(allow_null=True)
    published_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)


class TrackStatsOutput(serializers.Serializer):
    position = serializers.IntegerField()
    instrument = serializers.CharField()
    name = serializers.CharField()
    count = serializers.IntegerField()
    rungs = RungOutput(many=True)


class InitiativeStatsOutput(serializers.Serializer):
    initiative = InitiativeHeadOutput()
    total = serializers.IntegerField()
    counted_at = serializers.DateTimeField(allow_null=True)
    tracks = TrackStatsOutput(many=True)
    districts = DistrictCellOutput(many=True)
    small_cell_threshold = serializers.IntegerField()


class HourPointOutput(serializers.Serializer):
    hour = serializers.DateTimeField()
    count = serializers.IntegerField()
    cumulative = serializers.IntegerField()


class DayPointOutput(serializers.Serializer):
    date = serializers.DateField()
    count = serializers.IntegerField()
    cumulative = serializers.IntegerField()


class TrackSeriesOutput(serializers.Serializer):
    track = serializers.IntegerField(help_text="-1 is the total of all tracks")
    instrument = serializers.CharField()
    hourly = HourPointOutput(many=True)
    daily = DayPointOutput(many=True)
    rungs = RungOutput(many=True)


class SeriesOutput(serializers.Serializer):
    initiative = InitiativeHeadOutput()
    tracks = TrackSeriesOutput(many=True)


class CityDayOutput(serializers.Serializer):
    date = serializers.DateField()
    count = serializers.IntegerField()


class CityStatsOutput(serializers.Serializer):
    initiatives_by_status = serializers.DictField(child=serializers.IntegerField())
    signatures_per_day = CityDayOutput(many=True)
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


class CityStatsApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []

    @extend_schema(
        operation_id="stats_city",
        summary="City-wide statistics",
        description=(
            "Initiatives by status, signatures per day, obligations open/overdue/due soon, "
            "referendum turnout while a vote is open and results once published (never a partial "
            "result), assembly activity. Rebuilt every tick; conditional GET supported."
        ),
        responses={200: CityStatsOutput, 304: None},
    )
    def get(self, request: Request) -> Response:
        return _document_response(request, selectors.document_get(kind=DocumentKind.CITY))


class InitiativeStatsListApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []

    @extend_schema(
        operation_id="stats_initiatives_list",
        summary="Statistics of every published initiative (paginated)",
        parameters=[
            OpenApiParameter("page", OpenApiTypes.INT),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="at most 100"),
        ],
        responses={200: InitiativeStatsOutput(many=True), 304: None},
    )
    def get(self, request: Request) -> Response:
        paginator = Pagination()
        page: list[StatsDocument] = (
            paginator.paginate_queryset(selectors.initiative_documents(), request, view=self) or []
        )
        etag = _list_etag(d.etag for d in page)
        updated = max((d.updated_at for d in page), default=None)
        response = paginator.get_paginated_response([d.body for d in page])
        if updated is None:
            return response
        out = conditional(request, etag=etag, updated_at=updated, body=response.data)
        return out


def _list_etag(etags: Iterable[str]) -> str:
    return hashlib.sha256(",".join(etags).encode()).hexdigest()[:32]


class InitiativeStatsApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []

    @extend_schema(
        operation_id="stats_initiative",
        summary="One initiative: total, per track with rungs reached and dates, per district",
        description=(
            "District cells below SMALL_CELL_THRESHOLD are present with count null and "
            "suppressed true (with a second cell when one alone would be deducible)."
        ),
        responses={200: InitiativeStatsOutput, 304: None},
    )
    def get(self, request: Request, pk: int) -> Response:
        return _document_response(
            request, selectors.document_get(kind=DocumentKind.INITIATIVE, object_id=pk)
        )


class InitiativeSeriesApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []

    @extend_schema(
        operation_id="stats_initiative_signatures",
        summary="One initiative: signatures over time, hourly and daily, per track",
        responses={200: SeriesOutput, 304: None},
    )
    def get(self, request: Request, pk: int) -> Response:
        return _document_response(
            request, selectors.document_get(kind=DocumentKind.SERIES, object_id=pk)
        )
