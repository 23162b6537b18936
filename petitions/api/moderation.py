"""API of moderation: a moderator suspends, unpublishes or reinstates an initiative, extends,
suspends or resumes its collection (each change public: `GET .../history/`), and staff attach,
withdraw or replace the documents of the city's answer to an obligation met."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import parsers, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from civic.api.parsers import JSONParser, RequestTooLarge
from civic.api.permissions import role_permission
from civic.roles import Role
from petitions import selectors, services
from petitions.api._output import ChangeOutput, DocumentOutput, InitiativeDetailOutput
from petitions.api.initiatives import detail_response
from petitions.models import Moderation

MODERATOR = role_permission(Role.MODERATOR)
REASON = serializers.CharField(max_length=services.collection.REASON_MAX)


class ModerationApi(APIView):
    """A moderator sets what the public sees: `suspended` (page public with the reason, collection
    suspended), `unpublished` (a notice with the reason only) or `public` (reinstated)."""

    permission_classes = [MODERATOR]

    class InputSerializer(serializers.Serializer):
        moderation = serializers.ChoiceField(choices=Moderation.choices)
        reason = REASON

    @extend_schema(request=InputSerializer, responses={200: InitiativeDetailOutput})
    def post(self, request: Request, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.initiative_moderate(
            initiative_id=pk,
            actor=request.user,  # type: ignore[arg-type]
            target=data.validated_data["moderation"],
            reason=data.validated_data["reason"],
        )
        return detail_response(request, pk)


class CollectionExtendApi(APIView):
    """A moderator moves the closing instant `days` later (PETITIONS_EXTENSION_MAX_DAYS in all)."""

    permission_classes = [MODERATOR]

    class InputSerializer(serializers.Serializer):
        days = serializers.IntegerField(min_value=1, max_value=3650)
        reason = REASON

    @extend_schema(request=InputSerializer, responses={200: InitiativeDetailOutput})
    def post(self, request: Request, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.collection_extend(
            initiative_id=pk,
            actor=request.user,  # type: ignore[arg-type]
            days=data.validated_data["days"],
            reason=data.validated_data["reason"],
        )
        return detail_response(request, pk)


class _ReasonInput(serializers.Serializer):
    reason = REASON


class _ReasonOnlyApi(APIView):
    """A moderator's change of the collection that takes a public reason alone: `change` is the
    service (`initiative_id`, `actor`, `reason`)."""

    permission_classes = [MODERATOR]
    change: Callable[..., object]

    @extend_schema(request=_ReasonInput, responses={200: InitiativeDetailOutput})
    def post(self, request: Request, pk: int) -> Response:
        data = _ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        type(self).change(
            initiative_id=pk,
            actor=request.user,
            reason=data.validated_data["reason"],
        )
        return detail_response(request, pk)


class CollectionSuspendApi(_ReasonOnlyApi):
    """A moderator suspends the collection: no signature is taken, the window stands still."""

    change = staticmethod(services.collection_suspend)


class CollectionResumeApi(_ReasonOnlyApi):
    """A moderator resumes a suspended collection; its closing instant moves by the time it stood."""

    change = staticmethod(services.collection_resume)


class HistoryApi(APIView):
    """The public history of an initiative's moderation and collection window, oldest first."""

    @extend_schema(responses={200: ChangeOutput(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        initiative = selectors.initiative_get(initiative_id=pk, viewer=request.user)
        return Response(ChangeOutput(selectors.history_of(initiative), many=True).data)


class DocumentParser(parsers.MultiPartParser):
    """Multipart bounded by the document limit (plus room for the other fields), not by the
    smaller limit of JSON and form bodies."""

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        request = (parser_context or {}).get("request")
        limit = int(settings.PETITIONS_DOCUMENT_MAX_BYTES) + 65536
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        except ValueError:
            declared = 0
        if declared > limit:
            raise RequestTooLarge()
        return super().parse(stream, media_type, parser_context)


class ObligationDocumentApi(APIView):
    """Staff attach a document (PDF, ODT, DOCX, PNG, JPEG, checked on its content) to the city's
    answer of an obligation met. Multipart: `file`, `title`."""

    permission_classes = [role_permission(Role.MODERATOR, Role.ASSEMBLY_CLERK)]
    parser_classes = [DocumentParser, JSONParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(allow_empty_file=True)
        title = serializers.CharField(max_length=200)

    @extend_schema(
        request={"multipart/form-data": InputSerializer}, responses={201: DocumentOutput}
    )
    def post(self, request: Request, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        document = services.obligation_document_attach(
            obligation_id=pk,
            actor=request.user,  # type: ignore[arg-type]
            upload=data.validated_data["file"],
            title=data.validated_data["title"],
        )
        return Response(DocumentOutput(document).data, status=status.HTTP_201_CREATED)


class ObligationDocumentWithdrawApi(APIView):
    """Staff withdraw a document of the city's answer, with a public `reason`: it stays in the
    answer's public history (title, name, size, checksum, when and why), its file is removed.
    `document_not_found` (404) for a document of another obligation, `document_withdrawn` (409)
    for one already withdrawn or replaced."""

    permission_classes = [role_permission(Role.MODERATOR, Role.ASSEMBLY_CLERK)]

    @extend_schema(request=_ReasonInput, responses={200: DocumentOutput})
    def post(self, request: Request, pk: int, document_pk: int) -> Response:
        data = _ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        document = services.obligation_document_withdraw(
            obligation_id=pk,
            document_id=document_pk,
            actor=request.user,  # type: ignore[arg-type]
            reason=data.validated_data["reason"],
        )
        return Response(DocumentOutput(document).data)


class ObligationDocumentReplaceApi(APIView):
    """Staff replace a document of the city's answer by a new file (checked as any upload), with
    a public `reason`; `title` defaults to the old one's. The old document stays in the public
    history, marked replaced by the new one (returned). Multipart: `file`, `reason`, `title`."""

    permission_classes = [role_permission(Role.MODERATOR, Role.ASSEMBLY_CLERK)]
    parser_classes = [DocumentParser, JSONParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(allow_empty_file=True)
        reason = REASON
        title = serializers.CharField(max_length=200, required=False, allow_blank=True)

    @extend_schema(
        request={"multipart/form-data": InputSerializer}, responses={201: DocumentOutput}
    )
    def post(self, request: Request, pk: int, document_pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        document = services.obligation_document_replace(
            obligation_id=pk,
            document_id=document_pk,
            actor=request.user,  # type: ignore[arg-type]
            upload=data.validated_data["file"],
            reason=data.validated_data["reason"],
            title=data.validated_data.get("title", ""),
        )
        return Response(DocumentOutput(document).data, status=status.HTTP_201_CREATED)
