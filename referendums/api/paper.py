"""The paper referendum's endpoints: per-station result sheets keyed twice, and resolving a
discrepancy. Staff only."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from civic.api.permissions import role_permission
from civic.errors import NotFound, PermissionDenied
from civic.roles import Role
from referendums import rules, selectors
from referendums.models import ResultSheet, StationElectorate, StationResult
from referendums.models.paper import SHEET_FIELDS
from referendums.services import paper as paper_services

IsCampaignManager = role_permission(Role.CAMPAIGN_MANAGER)


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
    electorate = serializers.SerializerMethodField()

    class Meta:
        model = StationResult
        fields = ["station", "status", *SHEET_FIELDS, "resolution_note", "electorate", "entries"]

    def get_entries(self, result: StationResult) -> list[dict[str, Any]]:
        sheets = self.context["sheets"].get(result.station_id, [])
        return [
            {
                "entry_number": s.entry_number,
                "entered_by": s.entered_by_id,
                **s.figures(),
                "registered_note": s.registered_note,
            }
            for s in sheets
        ]

    def get_electorate(self, result: StationResult) -> int | None:
        """The station's frozen electorate, which the sheets' "registered" is checked against."""
        return self.context.get("electorate", {}).get(result.station_id)


class ResultSheetListCreateApi(APIView):
    """Staff: per-station result sheets of a paper referendum (double keying)."""

    permission_classes = [role_permission(Role.CAMPAIGN_MANAGER, Role.AUDITOR)]

    class InputSerializer(FiguresIn):
        station = serializers.SlugField(max_length=16)
        # Why the minutes' "registered" differs from the station's frozen electorate, if it does.
        registered_note = serializers.CharField(max_length=500, required=False, allow_blank=True)

    @extend_schema(responses={200: StationResultOut(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        campaign = selectors.campaign_get(viewer=request.user, campaign_id=pk, detail=False)
        if campaign.is_online:
            raise NotFound("No result sheets for an online vote.")
        results = StationResult.objects.filter(campaign=campaign).select_related("station")
        sheets: dict[int, list[ResultSheet]] = {}
        for sheet in ResultSheet.objects.filter(campaign=campaign).order_by("entry_number"):
            sheets.setdefault(sheet.station_id, []).append(sheet)
        electorate = dict(
            StationElectorate.objects.filter(campaign=campaign).values_list(
                "station_id", "electors"
            )
        )
        return Response(
            StationResultOut(
                results.order_by("station__code"),
                many=True,
                context={"sheets": sheets, "electorate": electorate},
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
            registered_note=data.validated_data.get("registered_note", ""),
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
