"""API of signatures: sign, withdraw, the cheap public count, paper entry, "my signatures"."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from django.http.response import HttpResponseBase
from django.utils.http import http_date, parse_http_date_safe
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from civic.api.fields import IdField
from civic.api.permissions import role_permission
from civic.api.throttling import ScopedRateThrottle
from civic.client_ip import client_ip_or_none
from civic.errors import DomainError
from civic.roles import Role
from petitions import selectors, services
from petitions.models import PaperRejectionReason, Signature


class SignatureCreateApi(APIView):
    """Sign. A repeated request gets exactly the same answer as the first one."""

    permission_classes = [IsAuthenticated]
    # The "sign" scope is far stricter than the per-user rate: checking both would only add a
    # cache round trip to the hottest write.
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "sign"

    class OutputSerializer(serializers.Serializer):
        initiative = serializers.IntegerField(source="initiative_id")
        signed = serializers.BooleanField(default=True)
        tracks = serializers.ListField(child=serializers.CharField())

    @extend_schema(request=None, responses={201: OutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        outcome = services.signature_sign(
            initiative_id=pk,
            user=request.user,  # type: ignore[arg-type]
            ip=client_ip_or_none(request),
        )
        # The hottest write: the answer is built directly (same shape as OutputSerializer).
        body = {"initiative": outcome.initiative_id, "signed": True, "tracks": outcome.tracks}
        return Response(body, status=status.HTTP_201_CREATED)


class SignatureMineApi(APIView):
    """Withdraw one's own signature while collection is open (same answer if one had not signed)."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "sign"

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.signature_withdraw(initiative_id=pk, user=request.user)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


def _count_headers(pk: int, count: selectors.PublishedCount) -> dict[str, str]:
    fingerprint = (
        f"{pk}:{count.total}:{sorted(count.tracks.items())}:{count.updated_at.isoformat()}"
    )
    # Last-Modified has a one-second grain; the fold runs once per tick, so two states never
    # share a second in practice, and the ETag (exact) is what clients are told to prefer.
    return {
        "ETag": '"' + hashlib.sha256(fingerprint.encode()).hexdigest()[:20] + '"',
        "Last-Modified": http_date(int(count.updated_at.timestamp())),
        "Cache-Control": f"public, max-age={settings.CIVIC_TICK_SECONDS}",
    }


def _count_is_fresh(request: HttpRequest, count: selectors.PublishedCount, etag: str) -> bool:
    """If-None-Match wins over If-Modified-Since (RFC 9110)."""
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = [t.strip() for t in if_none_match.split(",")]
        return "*" in tags or etag in tags
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return since is not None and int(count.updated_at.timestamp()) <= since


class CountApi(APIView):
    """The published count per track: one indexed read, cacheable, conditional GET answers 304.

    No authentication, session or throttle work on this path: it is the most read endpoint."""

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    throttle_classes: list[Any] = []

    class OutputSerializer(serializers.Serializer):
        initiative = serializers.IntegerField()
        signatures = serializers.IntegerField()
        tracks = serializers.DictField(child=serializers.IntegerField())
        updated_at = serializers.DateTimeField()

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # A client checking that it is current is answered before DRF wraps the request,
        # negotiates and checks: none of that can change a 304, and a surge is mostly these.
        conditional = "If-None-Match" in request.headers or "If-Modified-Since" in request.headers
        if conditional and request.method in ("GET", "HEAD") and "pk" in kwargs:
            try:
                count = selectors.initiative_count(initiative_id=kwargs["pk"])
            except DomainError:  # the full path answers the 404
                return super().dispatch(request, *args, **kwargs)
            headers = _count_headers(kwargs["pk"], count)
            if _count_is_fresh(request, count, headers["ETag"]):
                response = HttpResponseNotModified(headers=headers)
                for name, value in self.default_response_headers.items():
                    response[name] = value  # as DRF would have (Allow, Vary)
                return response
        return super().dispatch(request, *args, **kwargs)

    @extend_schema(
        responses={200: OutputSerializer, 304: OpenApiResponse(description="Not modified")}
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        count = selectors.initiative_count(initiative_id=pk)
        headers = _count_headers(pk, count)
        if _count_is_fresh(request, count, headers["ETag"]):
            return HttpResponseNotModified(headers=headers)
        # A plain JSON response: the shape is fixed, so the serializer only documents it.
        body = {
            "initiative": pk,
            "signatures": count.total,
            "tracks": {str(k): v for k, v in sorted(count.tracks.items())},
            "updated_at": count.updated_at,
        }
        return JsonResponse(body, headers=headers)


class PaperRejectionCountsApi(APIView):
    """Public counts of rejected paper signatures per reason."""

    permission_classes: list[Any] = []

    class OutputSerializer(serializers.Serializer):
        reason = serializers.CharField()
        reason_label = serializers.CharField()
        count = serializers.IntegerField()

    @extend_schema(responses={200: OutputSerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        selectors.initiative_get(initiative_id=pk, viewer=request.user)
        counts = selectors.paper_rejection_counts(initiative_id=pk)
        rows = [
            {"reason": r.value, "reason_label": str(r.label), "count": counts.get(r.value, 0)}
            for r in PaperRejectionReason
        ]
        return Response(self.OutputSerializer(rows, many=True).data)


class PaperSignatureApi(APIView):
    """Staff enter one line of a paper form: by register entry id, or by name and birth date."""

    permission_classes = [role_permission(Role.MODERATOR)]

    class InputSerializer(serializers.Serializer):
        register_entry_id = IdField(required=False)
        last_name = serializers.CharField(max_length=150, required=False)
        first_names = serializers.CharField(max_length=150, required=False)
        birth_date = serializers.DateField(required=False)
        sheet_ref = serializers.CharField(
            max_length=64, required=False, allow_blank=True, default=""
        )

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            by_id = "register_entry_id" in attrs
            by_name = all(k in attrs for k in ("last_name", "first_names", "birth_date"))
            if not by_id and not by_name:
                raise serializers.ValidationError(
                    "Give register_entry_id, or last_name, first_names and birth_date."
                )
            return attrs

    class OutputSerializer(serializers.Serializer):
        accepted = serializers.BooleanField()
        reason = serializers.CharField(allow_null=True)
        signature_id = serializers.IntegerField(allow_null=True)
        rejection_id = serializers.IntegerField(allow_null=True)
        tracks = serializers.ListField(child=serializers.CharField())

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = services.paper_signature_enter(
            initiative_id=pk,
            actor=request.user,  # type: ignore[arg-type]
            **data.validated_data,
        )
        return Response(self.OutputSerializer(outcome).data, status=status.HTTP_201_CREATED)


class MySignaturesApi(ListAPIView):
    """The caller's own signatures (online and paper), newest first."""

    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.ModelSerializer):
        initiative_title = serializers.CharField(source="initiative.title")
        initiative_status = serializers.CharField(source="initiative.status")
        url = serializers.CharField(source="initiative.get_absolute_url")

        class Meta:
            model = Signature
            fields = [
                "initiative_id",
                "initiative_title",
                "initiative_status",
                "url",
                "channel",
                "created_at",
                "facts",
            ]

    serializer_class = OutputSerializer

    def get_queryset(self) -> Any:
        return selectors.signatures_of(user=self.request.user)  # type: ignore[arg-type]
