"""The campaign endpoints: list and create, read and edit, the transitions a person requests, and
authorising campaigners. Thin: every write goes through a service."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from civic.api.fields import CivicDateField, CivicDateTimeField, IdField
from civic.api.permissions import role_permission
from civic.eligibility import Predicate
from civic.roles import Role
from referendums import selectors
from referendums.api.serializers import CampaignDetailOut, CampaignSummaryOut
from referendums.models import (
    Campaign,
    CampaignKind,
    MajorityRule,
    OptionMeaning,
    OriginKind,
    Side,
    VotingMethod,
)
from referendums.models.campaigns import CREATION_FIELDS, EDITABLE_FIELDS
from referendums.services import campaigns as campaign_services

IsCampaignManager = role_permission(Role.CAMPAIGN_MANAGER)


class OptionIn(serializers.Serializer):
    # The stored key is `o1`..`o9` by position (equal lengths: docs/threat-model.md); a `key` of
    # `yes` or `no` given here is read as the option's meaning.
    key = serializers.SlugField(max_length=32, required=False)
    meaning = serializers.ChoiceField(choices=OptionMeaning.choices, required=False)
    label_fr = serializers.CharField(max_length=200)
    label_en = serializers.CharField(max_length=200, required=False, allow_blank=True)


class QuestionIn(serializers.Serializer):
    text_fr = serializers.CharField(max_length=2000)
    text_en = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    options = OptionIn(many=True, required=False)


class CampaignFieldsIn(serializers.ModelSerializer):
    """The campaign's editable fields: `Meta.fields` is the model's one list (DRF refuses a
    declared field missing from it, and builds from the model any field listed but not declared
    here); each field is declared for its API limits and formats."""

    class Meta:
        model = Campaign
        fields = [*EDITABLE_FIELDS, "districts", "questions"]
        # The services write and the database's constraints guard; the serializer checks shapes.
        validators: list[Any] = []

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

        class Meta(CampaignFieldsIn.Meta):
            fields = [*CampaignFieldsIn.Meta.fields, *CREATION_FIELDS]

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
