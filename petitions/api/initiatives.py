"""API of initiatives: list, create, read, edit, and one view per lifecycle transition."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from civic.api.fields import IdField
from civic.api.pagination import Pagination, page_of
from petitions import selectors, services
from petitions.api._output import InitiativeDetailOutput, InitiativeListOutput, counts_context
from petitions.models import Initiative, Status


def detail_response(request: Request, initiative_id: int, code: int = 200) -> Response:
    initiative = selectors.initiative_get(initiative_id=initiative_id, viewer=request.user)
    data = InitiativeDetailOutput(initiative, context=counts_context([initiative])).data
    return Response(data, status=code)


class InitiativeListApi(APIView):
    """Published initiatives (and the caller's own drafts); filters: status, district, instrument, q."""

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=Status.choices, required=False)
        district = serializers.SlugField(required=False)
        instrument = serializers.SlugField(required=False)
        q = serializers.CharField(required=False, max_length=100)
        mine = serializers.BooleanField(required=False, default=False)

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=200)
        summary = serializers.CharField(max_length=500)
        body = serializers.CharField(max_length=20000)
        instruments = serializers.ListField(
            child=serializers.SlugField(), min_length=1, max_length=8
        )
        district_id = IdField(required=False, allow_null=True)

    def get_permissions(self) -> list[Any]:
        return [IsAuthenticated()] if self.request.method == "POST" else []

    @extend_schema(
        operation_id="initiatives_list",
        parameters=[FilterSerializer],
        responses={200: page_of(InitiativeListOutput)},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        query = selectors.initiative_list(viewer=request.user, filters=filters.validated_data)
        paginator = Pagination()
        page: list[Initiative] = paginator.paginate_queryset(query, request, view=self) or []
        data = InitiativeListOutput(page, many=True, context=counts_context(page)).data
        return paginator.get_paginated_response(data)

    @extend_schema(request=InputSerializer, responses={201: InitiativeDetailOutput})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        initiative = services.initiative_create(
            actor=request.user,  # type: ignore[arg-type]
            title=values["title"],
            summary=values["summary"],
            body=values["body"],
            instrument_slugs=values["instruments"],
            district_id=values.get("district_id"),
        )
        return detail_response(request, initiative.pk, status.HTTP_201_CREATED)


class InitiativeDetailApi(APIView):
    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=200, required=False)
        summary = serializers.CharField(max_length=500, required=False)
        body = serializers.CharField(max_length=20000, required=False)
        instruments = serializers.ListField(
            child=serializers.SlugField(), min_length=1, max_length=8, required=False
        )
        district_id = IdField(required=False, allow_null=True)

    def get_permissions(self) -> list[Any]:
        return [IsAuthenticated()] if self.request.method == "PATCH" else []

    @extend_schema(responses={200: InitiativeDetailOutput})
    def get(self, request: Request, pk: int) -> Response:
        return detail_response(request, pk)

    @extend_schema(request=InputSerializer, responses={200: InitiativeDetailOutput})
    def patch(self, request: Request, pk: int) -> Response:
        # Not visible to the caller: the same 404 as a missing initiative (no probing of drafts).
        selectors.initiative_get(initiative_id=pk, viewer=request.user)
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        slugs = values.pop("instruments", None)
        services.initiative_update(
            initiative_id=pk,
            actor=request.user,  # type: ignore[arg-type]
            instrument_slugs=slugs,
            **values,
        )
        return detail_response(request, pk)


def _transition_view(service: Any, doc: str) -> type[APIView]:
    class TransitionApi(APIView):
        permission_classes = [IsAuthenticated]

        @extend_schema(request=None, responses={200: InitiativeDetailOutput}, description=doc)
        def post(self, request: Request, pk: int) -> Response:
            selectors.initiative_get(initiative_id=pk, viewer=request.user)
            service(initiative_id=pk, actor=request.user)
            return detail_response(request, pk)

    TransitionApi.__doc__ = doc
    return TransitionApi


InitiativeSubmitApi = _transition_view(
    services.initiative_submit, "The initiator submits the draft (the promoters have co-signed)."
)
InitiativeSubmitApi.__name__ = "InitiativeSubmitApi"
InitiativeReviewApi = _transition_view(
    services.initiative_review_start, "A moderator takes a submitted initiative into review."
)
InitiativeReviewApi.__name__ = "InitiativeReviewApi"
InitiativePublishApi = _transition_view(
    services.initiative_publish,
    "A moderator opens the collection: thresholds are resolved and the window starts.",
)
InitiativePublishApi.__name__ = "InitiativePublishApi"
InitiativeWithdrawApi = _transition_view(
    services.initiative_withdraw, "The initiator withdraws the initiative before the close."
)
InitiativeWithdrawApi.__name__ = "InitiativeWithdrawApi"


class InitiativeRejectApi(APIView):
    """A moderator declares the initiative inadmissible, with a reason from the list and a text."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        reason = serializers.SlugField()
        text = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses={200: InitiativeDetailOutput})
    def post(self, request: Request, pk: int) -> Response:
        selectors.initiative_get(initiative_id=pk, viewer=request.user)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.initiative_reject(
            initiative_id=pk,
            actor=request.user,  # type: ignore[arg-type]
            reason_code=data.validated_data["reason"],
            text=data.validated_data["text"],
        )
        return detail_response(request, pk)


class PromoterInviteApi(APIView):
    """The initiator invites a promoter by the e-mail of a registered account."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField()

    @extend_schema(request=InputSerializer, responses={201: InitiativeDetailOutput})
    def post(self, request: Request, pk: int) -> Response:
        selectors.initiative_get(initiative_id=pk, viewer=request.user)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.promoter_invite(
            initiative_id=pk,
            actor=request.user,  # type: ignore[arg-type]
            email=data.validated_data["email"],
        )
        return detail_response(request, pk, status.HTTP_201_CREATED)


class PromoterCosignApi(APIView):
    """An invited promoter co-signs the draft."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: InitiativeDetailOutput})
    def post(self, request: Request, pk: int) -> Response:
        selectors.initiative_get(initiative_id=pk, viewer=request.user)
        services.promoter_cosign(initiative_id=pk, user=request.user)  # type: ignore[arg-type]
        return detail_response(request, pk)
