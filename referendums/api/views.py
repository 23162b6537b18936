"""The vote's endpoints: cast a ballot (the hottest write, also served by the short path
civic/perf/hotpath.py), turnout, results, the published ballot box and the receipt check."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse, HttpResponseNotModified, StreamingHttpResponse
from django.http.response import HttpResponseBase
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from civic.api.permissions import IsVerifiedResident
from civic.api.throttling import ScopedRateThrottle
from referendums import selectors, workflow
from referendums.services import voting as voting_services
from referendums.services.ballot_box import ballot_box_stream

STREAM_ABOVE = 200_000


class BallotCastApi(APIView):
    """Cast (or re-cast: the last vote counts) a ballot. Returns a receipt code, once."""

    permission_classes = [IsVerifiedResident]
    # The "vote" scope is far stricter than the per-user rate: one limit, one cache round trip.
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "vote"

    class InputSerializer(serializers.Serializer):
        choices = serializers.DictField(
            child=serializers.CharField(max_length=32), allow_empty=False
        )

    class OutputSerializer(serializers.Serializer):
        receipt = serializers.CharField()
        revote = serializers.BooleanField()

    @staticmethod
    def plain_choices(data: Any) -> dict[str, str] | None:
        """The choices when the body holds exactly what InputSerializer would accept unchanged
        (a non-empty object of short, trimmed, non-blank strings): the hottest write then skips
        the serializer's field machinery. Anything else goes through the serializer, so every
        refusal keeps its code and message."""
        if type(data) is not dict:
            return None
        choices = data.get("choices")
        if type(choices) is not dict or not choices:
            return None
        for value in choices.values():
            if (
                type(value) is not str
                or not value
                or len(value) > 32
                or value != value.strip()
                or "\x00" in value
                or not value.isascii()
            ):
                return None
        return choices

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        choices = self.plain_choices(request.data)
        if choices is None:
            data = self.InputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            choices = data.validated_data["choices"]
        result = voting_services.ballot_cast(
            campaign_id=pk,
            user=request.user,  # type: ignore[arg-type]
            choices=choices,
        )
        response = Response(
            {"receipt": result.receipt, "revote": result.revote}, status=status.HTTP_201_CREATED
        )
        response["Cache-Control"] = "no-store"
        return response


class TurnoutApi(APIView):
    """Participation figures (never contents): available while voting."""

    @extend_schema(
        responses={200: OpenApiResponse(description="Turnout, districts below 10 suppressed")}
    )
    def get(self, request: Request, pk: int) -> Response:
        campaign = selectors.campaign_get(viewer=request.user, campaign_id=pk, detail=False)
        if not campaign.is_online or campaign.status in workflow.BEFORE_VOTING:
            return Response(
                {
                    "status": campaign.status,
                    "electorate": campaign.electorate_count,
                    "participations": None,
                    "districts": [],
                }
            )
        return Response(selectors.turnout(campaign=campaign))


class ResultsApi(APIView):
    """Official results: 409 `results_not_published` until the results are published."""

    @extend_schema(responses={200: OpenApiResponse(description="Published results")})
    def get(self, request: Request, pk: int) -> Response:
        campaign = selectors.campaign_get(viewer=request.user, campaign_id=pk, detail=False)
        return Response(selectors.results_get(campaign=campaign))


class BallotBoxApi(APIView):
    """The published ballot box (after the close): counted ballots, receipt hashes, the official
    tally and the digests binding them. Check it with `tools/verify_ballot_box.py`."""

    @extend_schema(responses={200: OpenApiResponse(description="Ballot box JSON")})
    def get(self, request: Request, pk: int) -> Any:
        campaign = selectors.campaign_get(viewer=request.user, campaign_id=pk, detail=False)
        selectors.ballot_box_ready(campaign=campaign)
        digest = campaign.results_digest
        if request.headers.get("If-None-Match") == f'"{digest}"':
            return HttpResponseNotModified()
        # The box never changes after the close: one response, cacheable, with its digest as
        # ETag. Above STREAM_ABOVE ballots it is streamed so memory stays flat.
        response: HttpResponseBase
        if (campaign.results or {}).get("ballots", 0) > STREAM_ABOVE:
            response = StreamingHttpResponse(
                ballot_box_stream(campaign), content_type="application/json"
            )
        else:
            response = HttpResponse(
                "".join(ballot_box_stream(campaign)), content_type="application/json"
            )
        response["ETag"] = f'"{digest}"'
        response["Cache-Control"] = "public, max-age=300"
        response["Content-Disposition"] = f'attachment; filename="ballot-box-{campaign.pk}.json"'
        return response


class ReceiptCheckApi(APIView):
    """Was my ballot received? Within RECEIPT_CHECK_MINUTES of the cast, RECEIPT_CHECK_LIMIT times
    at most; afterwards 409 `receipt_not_checkable` (a receipt then proves nothing to a coercer).
    `received` never says whether a later re-vote replaced the ballot."""

    class InputSerializer(serializers.Serializer):
        receipt = serializers.CharField(max_length=64)

    class OutputSerializer(serializers.Serializer):
        received = serializers.BooleanField()

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        selectors.campaign_get(viewer=request.user, campaign_id=pk, detail=False)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        received = voting_services.receipt_check(
            campaign_id=pk, code=data.validated_data["receipt"]
        )
        return Response({"received": received})
