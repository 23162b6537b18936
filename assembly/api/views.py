"""The assembly's public API: reads only, no personal data."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assembly import selectors
from assembly.models import (
    AgendaItem,
    DrawCommitment,
    Mandate,
    Member,
    Minutes,
    MinutesStatus,
    Motion,
    Session,
    SessionStatus,
)
from assembly.rules import MAJORITY_RULES, sees_unpublished
from assembly.withdrawn import minutes_public_body


def _public_mandate(pk: int) -> Mandate:
    return get_object_or_404(selectors.mandate_list(), pk=pk)


class MandateOutput(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display")

    class Meta:
        model = Mandate
        fields = [
            "id",
            "title",
            "description",
            "starts_on",
            "ends_on",
            "size",
            "reserve_size",
            "status",
            "status_label",
            "quorum_percent",
        ]


class AssemblyListApi(ListAPIView):
    """Mandates of the citizens' assembly (public)."""

    serializer_class = MandateOutput

    def get_queryset(self) -> QuerySet[Mandate]:
        return selectors.mandate_list()


class CompositionRow(serializers.Serializer):
    feature = serializers.CharField()
    feature_label = serializers.CharField()
    value = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    min = serializers.IntegerField()
    max = serializers.IntegerField()
    pool = serializers.IntegerField()
    panel = serializers.IntegerField()
    met = serializers.BooleanField()


class CommitmentSummary(serializers.ModelSerializer):
    class Meta:
        model = DrawCommitment
        fields = [
            "digest",
            "pool_digest",
            "quotas_digest",
            "algorithm",
            "library",
            "seed_source",
            "seed_expected_at",
            "published_at",
            "beacon_round",
            "seed",
            "seed_recorded_at",
            "ticket",
            "maximin_value",
        ]


class AssemblyDetailApi(APIView):
    class OutputSerializer(MandateOutput):
        composition = serializers.SerializerMethodField()
        commitment = serializers.SerializerMethodField()
        majority_rules = serializers.SerializerMethodField()

        class Meta(MandateOutput.Meta):
            fields = [*MandateOutput.Meta.fields, "composition", "commitment", "majority_rules"]

        @extend_schema_field(CompositionRow(many=True))
        def get_composition(self, mandate: Mandate) -> list[dict[str, Any]]:
            return CompositionRow(selectors.composition(mandate=mandate), many=True).data  # type: ignore[return-value]

        def get_commitment(self, mandate: Mandate) -> dict[str, Any] | None:
            commitment = DrawCommitment.objects.filter(mandate=mandate).first()
            return CommitmentSummary(commitment).data if commitment else None

        def get_majority_rules(self, mandate: Mandate) -> dict[str, str]:
            return {k: str(v) for k, v in MAJORITY_RULES.items()}

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(self.OutputSerializer(_public_mandate(pk)).data)


class MemberListApi(ListAPIView):
    """Members by first name and district only."""

    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = Member
            fields = [
                "id",
                "seat",
                "first_name",
                "district_name",
                "status",
                "source",
                "joined_at",
                "left_at",
            ]

    serializer_class = OutputSerializer

    def get_queryset(self) -> QuerySet[Member]:
        mandate = _public_mandate(self.kwargs["pk"])
        former = self.request.query_params.get("former") == "1"
        return selectors.member_list(mandate=mandate, include_former=former)


class DrawBundleApi(APIView):
    """Everything needed to rerun the draw: the committed payload (pseudonymous pool, quotas,
    algorithm, library version, lottery, seed source), its digest, the seed and the result."""

    @extend_schema(responses={200: dict})
    def get(self, request: Request, pk: int) -> Response:
        mandate = _public_mandate(pk)
        commitment = get_object_or_404(DrawCommitment, mandate=mandate)
        return Response(selectors.draw_bundle(commitment))


class AgendaItemOutput(serializers.ModelSerializer):
    class Meta:
        model = AgendaItem
        fields = [
            "id",
            "position",
            "title",
            "description",
            "duration_minutes",
            "source_kind",
            "source_id",
            "source_url",
        ]


class MotionOutput(serializers.ModelSerializer):
    class Meta:
        model = Motion
        fields = [
            "id",
            "kind",
            "title",
            "text",
            "majority",
            "status",
            "result",
            "votes_for",
            "votes_against",
            "abstentions",
            "present_count",
            "active_count",
            "agenda_item",
            "opened_at",
            "closed_at",
        ]


class MinutesOutput(serializers.ModelSerializer):
    # What the public reads: withdrawn initiatives' titles replaced (assembly.withdrawn)
    body = serializers.SerializerMethodField()

    def get_body(self, minutes: Minutes) -> str:
        return minutes_public_body(minutes)

    class Meta:
        model = Minutes
        fields = ["status", "body", "approved_at", "approved_in", "published_at"]


class SessionOutput(serializers.ModelSerializer):
    class Meta:
        model = Session
        fields = ["id", "mandate", "title", "starts_at", "place", "capacity_minutes", "status"]


class SessionListApi(ListAPIView):
    serializer_class = SessionOutput

    def get_queryset(self) -> QuerySet[Session]:
        mandate_id = self.request.query_params.get("assembly")
        qs = selectors.session_list()
        if mandate_id and mandate_id.isdigit():
            qs = qs.filter(mandate_id=int(mandate_id))
        return qs


class SessionDetailApi(APIView):
    class OutputSerializer(SessionOutput):
        agenda_items = AgendaItemOutput(many=True)
        motions = MotionOutput(many=True)
        minutes = serializers.SerializerMethodField()

        class Meta(SessionOutput.Meta):
            fields = [*SessionOutput.Meta.fields, "agenda_items", "motions", "minutes"]

        def get_minutes(self, session: Session) -> dict[str, Any] | None:
            minutes = getattr(session, "minutes", None)
            if minutes is None:
                return None
            if minutes.status != MinutesStatus.PUBLISHED and not self.context.get("staff"):
                return None
            return MinutesOutput(minutes).data

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request: Request, pk: int) -> Response:
        staff = sees_unpublished(request.user)
        qs = selectors.session_detail_queryset()
        if not staff:
            qs = qs.exclude(status=SessionStatus.PLANNED)
        session = get_object_or_404(qs, pk=pk)
        return Response(self.OutputSerializer(session, context={"staff": staff}).data)
