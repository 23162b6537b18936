"""The referendums API: one view per operation, thin; every write goes through a service."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse, HttpResponseNotModified, StreamingHttpResponse
from django.http.response import HttpResponseBase
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from civic.api.fields import CivicDateField, CivicDateTimeField, IdField
from civic.api.permissions import IsVerifiedResident, role_permission
from civic.api.throttling import ScopedRateThrottle
from civic.eligibility import Predicate
from civic.errors import NotFound, PermissionDenied
from civic.roles import Role
from referendums import rules, selectors
from referendums.api.serializers import CampaignDetailOut, CampaignSummaryOut
from referendums.models import (
    CampaignKind,
    MajorityRule,
    OriginKind,
    ResultSheet,
    Side,
    StationResult,
    VotingMethod,
)
from referendums.models.paper import SHEET_FIELDS
from referendums.services import campaigns as campaign_services
from referendums.services import paper as paper_services
from referendums.services import voting as voting_services
from referendums.services.tally import ballot_box_stream

IsCampaignManager = role_permission(Role.CAMPAIGN_MANAGER)
STREAM_ABOVE = 200_000


class OptionIn(serializers.Serializer):
    key = serializers.SlugField(max_length=32)
    label_fr = serializers.CharField(max_length=200)
    label_en = serializers.CharField(max_length=200, required=False, allow_blank=True)


class QuestionIn(serializers.Serializer):
    text_fr = serializers.CharField(max_length=2000)
    text_en = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    options = OptionIn(many=True, required=False)


class CampaignFieldsIn(serializers.Serializer):
    title_fr = serializers.CharField(max_length=200)
    title_en = serializers.CharField(max_length=200, required=False, allow_blank=True)
    summary_fr = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    summary_en = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    dossier_fr = serializers.CharField(required=False, allow_blank=True, max_length=100000)
    dossier_en = serializers.CharField(required=False, allow_blank=True, max_length=100000)
    subject_key = serializers.SlugField(max_length=80, required=False, allow_blank=True)
    predicate = serializers.ChoiceField(choices=Predicate.choices, required=False)
    cutoff_date = CivicDateField()
    origin_kind = serializers.ChoiceField(choices=OriginKind.choices, required=False)
    origin_id = IdField(required=False, allow_null=True)
    origin_label = serializers.CharField(max_length=200, required=False, allow_blank=True)
    deliberation_date = CivicDateField(required=False, allow_null=True)
    prefect_transmission_date = CivicDateField(required=False, allow_null=True)
    dossier_public_date = CivicDateField(required=False, allow_null=True)
    campaign_opens_at = CivicDateTimeField()
    voting_opens_at = CivicDateTimeField()
    voting_closes_at = CivicDateTimeField()
    quorum_percent = serializers.IntegerField(
        min_value=1, max_value=100, required=False, allow_null=True
    )
    majority_rule = serializers.ChoiceField(choices=MajorityRule.choices, required=False)
    challenge_days = serializers.IntegerField(min_value=1, max_value=60, required=False)
    retention_days = serializers.IntegerField(min_value=1, max_value=3650, required=False)
    districts = serializers.ListField(
        child=serializers.SlugField(max_length=16), required=False, max_length=100
    )
    questions = QuestionIn(many=True, required=False, max_length=20)  # type: ignore[call-arg]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("origin_kind", OriginKind.COUNCIL) != OriginKind.COUNCIL and not attrs.get(
            "origin_id"
        ):
            raise serializers.ValidationError({"origin_id": "Required for this origin."})
        return attrs


class ReferendumListCreateApi(ListAPIView):
    """List campaigns (public ones; staff also see drafts) or create a draft (campaign managers)."""

    serializer_class = CampaignSummaryOut

    class InputSerializer(CampaignFieldsIn):
        kind = serializers.ChoiceField(choices=CampaignKind.choices)
        # Binding referendums are always on paper; an advisory consultation may be either.
        voting_method = serializers.ChoiceField(choices=VotingMethod.choices, required=False)

    def get_permissions(self) -> list[Any]:
        if self.request.method == "POST":
            return [IsCampaignManager()]
        return [AllowAny()]

    def get_queryset(self) -> Any:
        status_filter = self.request.query_params.get("status")
        return selectors.campaign_list(viewer=self.request.user, status=status_filter)

    @extend_schema(request=InputSerializer, responses={201: CampaignDetailOut})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        campaign = campaign_services.campaign_create(actor=request.user, **data.validated_data)  # type: ignore[arg-type]
        campaign = selectors.campaign_get(viewer=request.user, campaign_id=campaign.pk)
        return Response(CampaignDetailOut(campaign).data, status=status.HTTP_201_CREATED)


class ReferendumDetailApi(APIView):
    class InputSerializer(CampaignFieldsIn):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, partial=True, **kwargs)

    def get_permissions(self) -> list[Any]:
        if self.request.method == "PATCH":
            return [IsCampaignManager()]
        return [AllowAny()]

    @extend_schema(responses={200: CampaignDetailOut})
    def get(self, request: Request, pk: int) -> Response:
        campaign = selectors.campaign_get(viewer=request.user, campaign_id=pk)
        return Response(CampaignDetailOut(campaign).data)

    @extend_schema(request=InputSerializer, responses={200: CampaignDetailOut})
    def patch(self, request: Request, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        campaign_services.campaign_update(campaign_id=pk, actor=request.user, **data.validated_data)  # type: ignore[arg-type]
        campaign = selectors.campaign_get(viewer=request.user, campaign_id=pk)
        return Response(CampaignDetailOut(campaign).data)


class ReferendumTransitionApi(APIView):
    """`POST /referendums/{id}/<schedule|cancel|publish|archive>/`. Opening and closing are made
    by the clock only (nobody can close early to look at a count)."""

    permission_classes = [IsCampaignManager]
    transition: str = ""

    @extend_schema(request=None, responses={200: CampaignDetailOut})
    def post(self, request: Request, pk: int) -> Response:
        campaign_services.campaign_transition(
            campaign_id=pk,
            actor=request.user,  # type: ignore[arg-type]
            action=self.transition,
        )
        campaign = selectors.campaign_get(viewer=request.user, campaign_id=pk)
        return Response(CampaignDetailOut(campaign).data)


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
        if not campaign.is_online or campaign.status in {"draft", "scheduled", "campaign"}:
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
    """Is my receipt among the counted ballots' receipts? (after the close)"""

    class InputSerializer(serializers.Serializer):
        receipt = serializers.CharField(max_length=64)

    class OutputSerializer(serializers.Serializer):
        counted = serializers.BooleanField()

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        selectors.campaign_get(viewer=request.user, campaign_id=pk, detail=False)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        counted = voting_services.receipt_check(campaign_id=pk, code=data.validated_data["receipt"])
        return Response({"counted": counted})


class CampaignerCreateApi(APIView):
    permission_classes = [IsCampaignManager]

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200)
        side = serializers.ChoiceField(choices=Side.choices)
        description = serializers.CharField(max_length=200, required=False, allow_blank=True)
        argument_fr = serializers.CharField(required=False, allow_blank=True, max_length=100000)
        argument_en = serializers.CharField(required=False, allow_blank=True, max_length=100000)

    @extend_schema(request=InputSerializer, responses={201: CampaignDetailOut})
    def post(self, request: Request, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        campaigner = campaign_services.campaigner_authorise(
            campaign_id=pk,
            actor=request.user,  # type: ignore[arg-type]
            name=v["name"],
            side=v["side"],
            description=v.get("description", ""),
        )
        if v.get("argument_fr"):
            campaign_services.argument_set(
                campaigner_id=campaigner.pk,
                actor=request.user,  # type: ignore[arg-type]
                text_fr=v["argument_fr"],
                text_en=v.get("argument_en", ""),
            )
        campaign = selectors.campaign_get(viewer=request.user, campaign_id=pk)
        return Response(CampaignDetailOut(campaign).data, status=status.HTTP_201_CREATED)


class FiguresIn(serializers.Serializer):
    registered = serializers.IntegerField(min_value=0, max_value=10_000_000)
    voters = serializers.IntegerField(min_value=0, max_value=10_000_000)
    blank = serializers.IntegerField(min_value=0, max_value=10_000_000)
    null = serializers.IntegerField(min_value=0, max_value=10_000_000)
    yes = serializers.IntegerField(min_value=0, max_value=10_000_000)
    no = serializers.IntegerField(min_value=0, max_value=10_000_000)


class StationResultOut(serializers.ModelSerializer):
    station = serializers.CharField(source="station.code")
    entries = serializers.SerializerMethodField()

    class Meta:
        model = StationResult
        fields = ["station", "status", *SHEET_FIELDS, "resolution_note", "entries"]

    def get_entries(self, result: StationResult) -> list[dict[str, Any]]:
        sheets = self.context["sheets"].get(result.station_id, [])
        return [
            {"entry_number": s.entry_number, "entered_by": s.entered_by_id, **s.figures()}
            for s in sheets
        ]


class ResultSheetListCreateApi(APIView):
    """Staff: per-station result sheets of a paper referendum (double keying)."""

    permission_classes = [role_permission(Role.CAMPAIGN_MANAGER, Role.AUDITOR)]

    class InputSerializer(FiguresIn):
        station = serializers.SlugField(max_length=16)

    @extend_schema(responses={200: StationResultOut(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        campaign = selectors.campaign_get(viewer=request.user, campaign_id=pk, detail=False)
        if campaign.is_online:
            raise NotFound("No result sheets for an online vote.")
        results = StationResult.objects.filter(campaign=campaign).select_related("station")
        sheets: dict[int, list[ResultSheet]] = {}
        for sheet in ResultSheet.objects.filter(campaign=campaign).order_by("entry_number"):
            sheets.setdefault(sheet.station_id, []).append(sheet)
        return Response(
            StationResultOut(
                results.order_by("station__code"), many=True, context={"sheets": sheets}
            ).data
        )

    @extend_schema(
        request=InputSerializer,
        responses={
            201: inline_serializer(
                "SheetEntered",
                {
                    "station": serializers.CharField(),
                    "entry_number": serializers.IntegerField(),
                    "status": serializers.CharField(),
                },
            )
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        if not rules.may_manage(request.user):  # auditors read, only managers key
            raise PermissionDenied("Campaign managers only.")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        figures = {f: data.validated_data[f] for f in SHEET_FIELDS}
        sheet = paper_services.sheet_enter(
            campaign_id=pk,
            station_code=data.validated_data["station"],
            actor=request.user,  # type: ignore[arg-type]
            figures=figures,
        )
        result = StationResult.objects.get(campaign_id=pk, station_id=sheet.station_id)
        return Response(
            {
                "station": data.validated_data["station"],
                "entry_number": sheet.entry_number,
                "status": result.status,
            },
            status=status.HTTP_201_CREATED,
        )


class StationResolveApi(APIView):
    permission_classes = [IsCampaignManager]

    class InputSerializer(FiguresIn):
        note = serializers.CharField(max_length=500)

    @extend_schema(request=InputSerializer, responses={200: StationResultOut})
    def post(self, request: Request, pk: int, code: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = paper_services.station_resolve(
            campaign_id=pk,
            station_code=code,
            actor=request.user,  # type: ignore[arg-type]
            figures={f: data.validated_data[f] for f in SHEET_FIELDS},
            note=data.validated_data["note"],
        )
        sheets = {
            result.station_id: list(
                ResultSheet.objects.filter(campaign_id=pk, station_id=result.station_id)
            )
        }
        return Response(StationResultOut(result, context={"sheets": sheets}).data)
