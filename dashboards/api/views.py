"""Public statistics API: each answer is a document the tick maintains, served with validators.

One query per request, the paginated list included (its total is kept with the documents), `ETag`
and `Last-Modified` from the document, `Cache-Control: public, max-age=<tick>`. A conditional GET
is answered 304 from the validators this process remembers (see `selectors.document_head`) before
DRF's request handling: usually no query, no parsing, no negotiation.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.core.paginator import InvalidPage
from django.core.paginator import Paginator as DjangoPaginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.http.response import HttpResponseBase
from django.utils.http import http_date, parse_http_date_safe
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from civic.api.pagination import Pagination, page_of
from civic.errors import DomainError
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
    """The stored text with its validators (or 304 if it matches a conditional GET after all)."""
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

    def remembered_head(self, request: HttpRequest, **kwargs: Any) -> selectors.Head | None:
        """The answer's validators if this process can know them cheaply, else None."""
        return None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # The most frequent request of a surge is a client checking that it is current: answer it
        # before DRF wraps the request, negotiates and checks (none of which can change a 304).
        if request.method in ("GET", "HEAD") and is_conditional(request):
            try:
                head = self.remembered_head(request, **kwargs)
            except DomainError:  # unknown here: the full path answers the error
                head = None
            if head is not None and is_fresh(request, head):
                response = HttpResponseNotModified(headers=_validators(head))
                for name, value in self.default_response_headers.items():
                    response[name] = value  # as DRF would have (Allow, Vary)
                return response
        return super().dispatch(request, *args, **kwargs)


class _DocumentApi(_Public):
    kind: str = ""

    def remembered_head(self, request: HttpRequest, **kwargs: Any) -> selectors.Head | None:
        return selectors.document_head(kind=self.kind, object_id=kwargs.get("pk", 0))

    def get(self, request: Request, pk: int = 0) -> HttpResponse:
        return document_response(request, kind=self.kind, object_id=pk)


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


class CityStatsApi(_DocumentApi):
    kind = DocumentKind.CITY

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
    def get(self, request: Request, pk: int = 0) -> HttpResponse:
        return super().get(request)


class _ListingPage:
    """What Django's paginator asks of a list, answered from one statement: `count()` reads the
    stored total together with the page the request names, and slicing returns that page (a page
    found only from the total, such as `page=last`, costs a second statement)."""

    def __init__(self, *, offset: int, limit: int) -> None:
        self.offset, self.limit = offset, limit
        self.head: selectors.ListingHead | None = None
        self.rows: list[tuple[int, str]] = []

    def _read(self, offset: int, limit: int) -> selectors.ListingHead:
        self.head, self.rows = selectors.listing_page(offset=offset, limit=limit)
        self.offset, self.limit = offset, limit
        return self.head

    def count(self) -> int:
        return (self.head or self._read(self.offset, self.limit)).count

    def __getitem__(self, bounds: slice) -> list[tuple[int, str]]:
        start, stop = int(bounds.start or 0), int(bounds.stop)
        if self.head is None or start != self.offset or stop - start > self.limit:
            self._read(start, stop - start)
        return self.rows[: stop - start]


def _page_head(head: selectors.ListingHead, number: int, size: int) -> selectors.Head:
    """One page's validators: the list's, told apart by page and size."""
    tag = hashlib.sha256(f"{head.etag}:{number}:{size}".encode()).hexdigest()[:32]
    return selectors.Head(etag=tag, updated_at=head.updated_at)


# Beyond this a page number cannot name a page (and must not reach SQL as an OFFSET).
_MAX_OFFSET = 2**53


class InitiativeStatsListApi(_Public):
    pagination_class = Pagination

    def remembered_head(self, request: HttpRequest, **kwargs: Any) -> selectors.Head | None:
        head = selectors.listing_head()
        if head is None:
            return None
        query = Request(request)
        pagination = Pagination()
        size = pagination.get_page_size(query) or 1
        paginator = DjangoPaginator(range(head.count), size)
        try:
            number = paginator.validate_number(pagination.get_page_number(query, paginator))
        except InvalidPage:  # the full path answers 404
            return None
        return _page_head(head, number, size)

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
        """One query whatever the page size: the page and the total the tick keeps with it."""
        pagination = Pagination()
        size = pagination.get_page_size(request) or 1
        try:
            offset = (int(request.query_params.get("page") or 1) - 1) * size
        except ValueError:
            offset = 0
        listing = _ListingPage(offset=offset if 0 <= offset < _MAX_OFFSET else 0, limit=size)
        rows: list[tuple[int, str]] = (
            pagination.paginate_queryset(listing, request, view=self) or []  # type: ignore[arg-type]
        )
        assert pagination.page is not None and listing.head is not None
        head = _page_head(listing.head, pagination.page.number, size)
        if is_conditional(request) and is_fresh(request, head):
            return HttpResponseNotModified(headers=_validators(head))
        envelope = json.dumps(
            {
                "count": listing.head.count,
                "next": pagination.get_next_link(),
                "previous": pagination.get_previous_link(),
                "results": [],
            }
        )
        text = envelope[:-2] + ",".join(r[1] for r in rows) + "]}"
        return HttpResponse(text, content_type="application/json", headers=_validators(head))


class InitiativeStatsApi(_DocumentApi):
    kind = DocumentKind.INITIATIVE

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
    def get(self, request: Request, pk: int = 0) -> HttpResponse:
        return super().get(request, pk)


class InitiativeSeriesApi(_DocumentApi):
    kind = DocumentKind.SERIES

    @extend_schema(
        operation_id="stats_initiative_signatures",
        summary="One initiative: signatures over time, hourly and daily, per track",
        responses={200: StatsSeriesOutput, 304: OpenApiResponse(description="Not modified")},
    )
    def get(self, request: Request, pk: int = 0) -> HttpResponse:
        return super().get(request, pk)
