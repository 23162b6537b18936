"""API of invalidations (moderators): dry-run count, request, progress, undo; and the public
register of rejected signatures."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from civic.api.permissions import role_permission
from civic.roles import Role
from petitions import selectors, services
from petitions.models import InvalidationReason


class CriteriaSerializer(serializers.Serializer):
    """Every criterion must hold; at least one is required. Patterns take `%` as the wildcard;
    e-mails are compared normalised (case, dots and `+tag` of the local part)."""

    name = serializers.CharField(required=False, allow_blank=True, max_length=254)
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    domain = serializers.CharField(required=False, allow_blank=True, max_length=254)
    ip = serializers.CharField(
        required=False, allow_blank=True, max_length=64, help_text="address or CIDR range"
    )
    district = serializers.CharField(
        required=False, allow_blank=True, max_length=16, help_text="district code"
    )
    created_after = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text="ISO 8601"
    )
    created_before = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text="ISO 8601"
    )
    channel = serializers.CharField(
        required=False, allow_blank=True, max_length=8, help_text="online or paper"
    )
    entered_by = serializers.IntegerField(
        required=False, help_text="the agent who entered a paper batch"
    )
    register_entry_ids = serializers.ListField(
        child=serializers.IntegerField(), required=False, max_length=10_000
    )


class PreviewInput(serializers.Serializer):
    criteria = CriteriaSerializer()


class RequestInput(PreviewInput):
    reason = serializers.ChoiceField(choices=InvalidationReason.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")
    expected = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="the dry-run count confirmed"
    )


class InvalidationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    initiative = serializers.IntegerField(source="initiative_id")
    reason = serializers.CharField()
    state = serializers.CharField()
    criteria = serializers.DictField()
    matched = serializers.IntegerField()
    progress = serializers.IntegerField()
    percent = serializers.IntegerField()
    removed_online = serializers.IntegerField()
    removed_paper = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    applied_at = serializers.DateTimeField(allow_null=True)
    undone_at = serializers.DateTimeField(allow_null=True)


def _criteria(data: serializers.Serializer) -> dict[str, Any]:
    data.is_valid(raise_exception=True)
    return dict(data.validated_data["criteria"])


class InvalidationPreviewApi(APIView):
    """Dry run: how many counted signatures the criteria match now. Nothing is written."""

    permission_classes = [role_permission(Role.MODERATOR)]

    class OutputSerializer(serializers.Serializer):
        matched = serializers.IntegerField()

    @extend_schema(request=PreviewInput, responses={200: OutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        criteria = _criteria(PreviewInput(data=request.data))
        matched = services.invalidation_preview(
            initiative_id=pk,
            criteria=criteria,
            actor=request.user,  # type: ignore[arg-type]
        )
        return Response({"matched": matched})


class InvalidationListApi(APIView):
    """An initiative's invalidations (GET), or a new one (POST, 202: the job runs in the
    background; follow its progress at /api/v1/invalidations/{id}/)."""

    permission_classes = [role_permission(Role.MODERATOR)]

    @extend_schema(responses={200: InvalidationOutput(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        rows = selectors.invalidations_of(initiative_id=pk)
        return Response(InvalidationOutput(rows, many=True).data)

    @extend_schema(request=RequestInput, responses={202: InvalidationOutput})
    def post(self, request: Request, pk: int) -> Response:
        data = RequestInput(data=request.data)
        criteria = _criteria(data)
        invalidation = services.invalidation_request(
            initiative_id=pk,
            criteria=criteria,
            reason=data.validated_data["reason"],
            note=data.validated_data["note"],
            expected=data.validated_data["expected"],
            actor=request.user,  # type: ignore[arg-type]
        )
        invalidation.refresh_from_db()  # an eager job may have run already
        return Response(InvalidationOutput(invalidation).data, status=status.HTTP_202_ACCEPTED)


class InvalidationDetailApi(APIView):
    """One invalidation and its job's progress."""

    permission_classes = [role_permission(Role.MODERATOR)]

    @extend_schema(responses={200: InvalidationOutput})
    def get(self, request: Request, pk: int) -> Response:
        return Response(InvalidationOutput(selectors.invalidation_get(invalidation_id=pk)).data)


class InvalidationUndoApi(APIView):
    """Undo an applied invalidation: its signatures count again (202, in the background)."""

    permission_classes = [role_permission(Role.MODERATOR)]

    @extend_schema(request=None, responses={202: InvalidationOutput})
    def post(self, request: Request, pk: int) -> Response:
        invalidation = services.invalidation_undo_request(
            invalidation_id=pk,
            actor=request.user,  # type: ignore[arg-type]
        )
        invalidation.refresh_from_db()
        return Response(InvalidationOutput(invalidation).data, status=status.HTTP_202_ACCEPTED)


class RejectionRowSerializer(serializers.Serializer):
    date = serializers.DateField()
    channel = serializers.CharField()
    kind = serializers.CharField(help_text="paper_entry, annulment or invalidation")
    reason = serializers.CharField()
    reason_label = serializers.CharField()
    count = serializers.IntegerField()


class RejectionRegisterApi(APIView):
    """The public register of rejected signatures: every rejection, online and paper, by reason
    and date, no identities; totals that reconcile (accepted + rejected = received)."""

    permission_classes: list[Any] = []

    class OutputSerializer(serializers.Serializer):
        initiative = serializers.IntegerField()
        received = serializers.IntegerField()
        accepted = serializers.IntegerField()
        rejected = serializers.IntegerField()
        published_count = serializers.IntegerField(
            help_text="the published count; equals accepted once the count tick has run"
        )
        rejected_by_channel = serializers.DictField(child=serializers.IntegerField())
        rows = serializers.ListField(child=RejectionRowSerializer())

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request: Request, pk: int) -> Response:
        selectors.initiative_get(initiative_id=pk, viewer=request.user)
        register = selectors.rejection_register(initiative_id=pk)
        return Response(self.OutputSerializer(register.as_dict()).data)


class TrendingApi(APIView):
    """Trending sources of an initiative's signatures over the last `hours` (1-168, default 24):
    per IP address, per e-mail domain, per hour; `alert` marks a source past the alert threshold."""

    permission_classes = [role_permission(Role.MODERATOR)]

    class QuerySerializer(serializers.Serializer):
        hours = serializers.IntegerField(required=False, min_value=1, max_value=168, default=24)

    class OutputSerializer(serializers.Serializer):
        since = serializers.DateTimeField()
        alert_at = serializers.IntegerField()
        by_ip = serializers.ListField(child=serializers.DictField())
        by_domain = serializers.ListField(child=serializers.DictField())
        by_hour = serializers.ListField(child=serializers.DictField())

    @extend_schema(parameters=[QuerySerializer], responses={200: OutputSerializer})
    def get(self, request: Request, pk: int) -> Response:
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        selectors.initiative_get(initiative_id=pk, viewer=request.user)
        found = selectors.trending_sources(initiative_id=pk, hours=query.validated_data["hours"])
        return Response(self.OutputSerializer(found.as_dict()).data)
