"""API of obligations (public, overdue flagged) and of instrument types."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from civic.api.permissions import role_permission
from civic.roles import Role
from petitions import selectors, services
from petitions.api._output import ObligationOutput
from petitions.models import InstrumentType, ObligationKind, ObligationStatus


class ObligationListApi(ListAPIView):
    """What the city owes for every rung reached; `?overdue=true` lists the late ones."""

    serializer_class = ObligationOutput

    class FilterSerializer(serializers.Serializer):
        overdue = serializers.BooleanField(required=False, allow_null=True, default=None)
        kind = serializers.ChoiceField(choices=ObligationKind.choices, required=False)
        status = serializers.ChoiceField(choices=ObligationStatus.choices, required=False)

    @extend_schema(parameters=[FilterSerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        filters = self.FilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        values = filters.validated_data
        query = selectors.obligations_public(overdue=values.get("overdue"))
        if kind := values.get("kind"):
            query = query.filter(kind=kind)
        if status := values.get("status"):
            query = query.filter(status=status)
        return query


class ObligationDoneApi(APIView):
    """Staff mark an obligation done, with a link or a text (the report, the deliberation)."""

    permission_classes = [role_permission(Role.MODERATOR, Role.ASSEMBLY_CLERK)]

    class InputSerializer(serializers.Serializer):
        evidence = serializers.CharField(max_length=5000)

    @extend_schema(request=InputSerializer, responses={200: ObligationOutput})
    def post(self, request: Request, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        obligation = services.obligation_complete(
            obligation_id=pk,
            actor=request.user,  # type: ignore[arg-type]
            evidence=data.validated_data["evidence"],
        )
        return Response(ObligationOutput(obligation).data)


class InstrumentTypeListApi(ListAPIView):
    """The instruments a resident may start an initiative on, with their ladders."""

    pagination_class = None

    class OutputSerializer(serializers.ModelSerializer):
        class RungSerializer(serializers.Serializer):
            order = serializers.IntegerField()
            kind = serializers.CharField()
            absolute_value = serializers.IntegerField(allow_null=True)
            numerator = serializers.IntegerField(allow_null=True)
            denominator = serializers.IntegerField(allow_null=True)
            obligation_kind = serializers.CharField()
            obligation_text = serializers.CharField()
            obligation_text_en = serializers.CharField()
            due_days = serializers.IntegerField()

        rungs = RungSerializer(many=True)

        class Meta:
            model = InstrumentType
            fields = [
                "slug",
                "name",
                "name_en",
                "description",
                "description_en",
                "legal_regime",
                "legal_basis",
                "predicate",
                "window_days",
                "min_promoters",
                "quarter_limit",
                "quarter_limit_rule",
                "rungs",
            ]

    serializer_class = OutputSerializer

    def get_queryset(self) -> Any:
        return InstrumentType.objects.filter(active=True).prefetch_related("rungs").order_by("slug")
