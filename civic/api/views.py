"""API views of the civic core: token, the current account, verification, districts, inbox."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from civic.api.fields import IdField
from civic.api.permissions import role_permission
from civic.audit_heads import HEADS_FORMAT, heads_read, public_key_hex
from civic.auth import authenticated_user
from civic.errors import DomainError
from civic.models import District, Notification
from civic.notifications import notification_mark_read
from civic.roles import Role, has_role
from civic.services.verification import resident_verify_at_desk, resident_verify_by_match


class TokenCreateApi(APIView):
    """Exchange e-mail and password for an API token (scripts and dashboards)."""

    authentication_classes: list[Any] = []
    throttle_scope = "token"

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField()
        password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField()

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            email=data.validated_data["email"].lower(),
            password=data.validated_data["password"],
        )
        if user is None or not user.is_active:
            raise DomainError(
                "E-mail or password is incorrect.", code="invalid_credentials", status=400
            )
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        email = serializers.EmailField()
        display_name = serializers.CharField()
        language = serializers.CharField()
        verified = serializers.BooleanField(source="is_verified")
        district = serializers.CharField(
            source="register_entry.district.code", default=None, allow_null=True
        )
        roles = serializers.SerializerMethodField()

        def get_roles(self, user: Any) -> list[str]:
            return [role.value for role in Role if has_role(user, role)]

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(request.user).data)


class VerificationApi(APIView):
    """Link the current account to its register entry by matching an identity."""

    permission_classes = [IsAuthenticated]
    throttle_scope = "verification"

    class InputSerializer(serializers.Serializer):
        last_name = serializers.CharField(max_length=150)
        first_names = serializers.CharField(max_length=150)
        birth_date = serializers.DateField()
        roll_number = serializers.CharField(max_length=32, required=False, allow_blank=True)
        address = serializers.CharField(max_length=255, required=False, allow_blank=True)

    @extend_schema(request=InputSerializer, responses={200: MeApi.OutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = resident_verify_by_match(user=authenticated_user(request), **data.validated_data)
        return Response(MeApi.OutputSerializer(user).data)


class DeskVerificationApi(APIView):
    """Staff: link an account to a register entry after seeing an identity document."""

    permission_classes = [role_permission(Role.ADMINISTRATOR, Role.MODERATOR)]

    class InputSerializer(serializers.Serializer):
        user_id = IdField()
        entry_id = IdField()

    @extend_schema(request=InputSerializer, responses={200: MeApi.OutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = resident_verify_at_desk(agent=authenticated_user(request), **data.validated_data)
        return Response(MeApi.OutputSerializer(user).data, status=status.HTTP_200_OK)


class AuditHeadsApi(APIView):
    """The signed heads of the audit chain and the sealed ballot boxes (civic.audit_heads): the
    file written outside the database, as it is. Check a line with the public key the auditors
    were given; `tools/verify_ballot_box.py --heads` and `manage.py verify_audit --heads` do."""

    authentication_classes: list[Any] = []

    class OutputSerializer(serializers.Serializer):
        format = serializers.CharField()
        public_key = serializers.CharField(allow_null=True)
        heads = serializers.ListField(child=serializers.DictField())

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request: Request) -> Response:
        try:
            lines = heads_read()
        except (OSError, ValueError):
            lines = []
        return Response(
            {"format": HEADS_FORMAT, "public_key": public_key_hex(), "heads": lines},
            status=status.HTTP_200_OK,
        )


class DistrictListApi(ListAPIView):
    pagination_class = None
    queryset = District.objects.order_by("code")

    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = District
            fields = ["id", "code", "name"]

    serializer_class = OutputSerializer


class NotificationListApi(ListAPIView):
    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = Notification
            fields = ["id", "kind", "subject", "body", "url", "created_at", "read_at"]

    serializer_class = OutputSerializer

    def get_queryset(self) -> Any:
        return Notification.objects.filter(recipient=authenticated_user(self.request)).order_by(
            "-id"
        )


class NotificationReadApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, pk: int) -> Response:
        notification_mark_read(user=authenticated_user(request), notification_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
