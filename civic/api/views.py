"""API views of the civic core: token, the current account, verification, districts, inbox."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import get_adapter
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
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
from civic.models import DeskCloseReason, District, Notification, WebhookEvent, WebhookSubscriber
from civic.notifications import notification_mark_read
from civic.ratelimits import client_address
from civic.roles import Role, has_role
from civic.second_factor import has_second_factor, second_factor_check
from civic.services.desk import DESK_ROLES, NOTE_MAX, desk_request_close
from civic.services.tokens import api_token_create, api_token_list, api_token_revoke
from civic.services.verification import resident_verify_at_desk, resident_verify_by_match
from civic.webhooks import webhook_subscribe


class TokenCreateApi(APIView):
    """Exchange e-mail and password for an API token (scripts and dashboards); revoke it.

    POST issues a new token, shown in this answer only (the server keeps its digest). The web
    login's per-account lockout applies: allauth counts this endpoint's failures with the login
    form's, and refuses here once the account is locked there. DELETE revokes the token that
    authenticates the request."""

    throttle_scope = "token"

    def get_authenticators(self) -> list[Any]:
        # Logging in takes no credentials but the body's; revoking takes the token it revokes.
        if self.request is not None and self.request.method == "POST":
            return []
        return super().get_authenticators()

    def get_permissions(self) -> list[Any]:
        if self.request is not None and self.request.method == "DELETE":
            return [IsAuthenticated()]
        return []

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField()
        password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
        code = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=64,
            help_text=(
                "The second factor's code (authenticator app or a recovery code), required when "
                "the account has enrolled one: every staff account has."
            ),
        )

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField()
        id = serializers.IntegerField()
        expires_at = serializers.DateTimeField()

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            # allauth's own entry point: the lockout counter ("login_failed" per account and per
            # address) is the web login's, consumed before and given back after a success.
            user = get_adapter(request._request).authenticate(
                request._request,
                email=data.validated_data["email"].lower(),
                password=data.validated_data["password"],
            )
        except ValidationError:
            raise DomainError(
                "Too many failed login attempts. Try again later.",
                code="too_many_login_attempts",
                status=429,
            ) from None
        if user is None or not user.is_active:
            raise DomainError(
                "E-mail or password is incorrect.", code="invalid_credentials", status=400
            )
        if has_second_factor(user) and not second_factor_check(
            user, data.validated_data.get("code", "")
        ):
            # A password alone never opens a staff account, on the API as on the pages.
            raise DomainError(
                "This account asks for its second factor's code (field `code`); it is missing "
                "or wrong.",
                code="second_factor_code_invalid",
                status=400,
            )
        token, secret = api_token_create(user=user)
        return Response({"token": secret, "id": token.pk, "expires_at": token.expires_at})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        presented = request.auth
        token_id = getattr(presented, "id", None)
        if token_id is None:  # a session, not a token: nothing to revoke here
            raise DomainError(
                "Only a token can revoke itself.", code="not_token_authenticated", status=400
            )
        api_token_revoke(user=authenticated_user(request), token_id=token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenListApi(ListAPIView):
    """The current account's live tokens: id, dates; never a secret nor its digest."""

    permission_classes = [IsAuthenticated]
    pagination_class = None

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        created_at = serializers.DateTimeField()
        expires_at = serializers.DateTimeField()
        last_used_at = serializers.DateTimeField(allow_null=True)
        current = serializers.SerializerMethodField()

        def get_current(self, token: Any) -> bool:
            return bool(token.pk == getattr(self.context["request"].auth, "id", None))

    serializer_class = OutputSerializer

    def get_queryset(self) -> Any:
        return api_token_list(user=authenticated_user(self.request))


class TokenRevokeApi(APIView):
    """The owner revokes one of their tokens (someone else's is "not found")."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        api_token_revoke(user=authenticated_user(request), token_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


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
    # Rate-limited in the service, one budget with the page's form (civic.ratelimits).

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
        user = resident_verify_by_match(
            user=authenticated_user(request),
            client_address=client_address(request),
            **data.validated_data,
        )
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


class DeskRequestCloseApi(APIView):
    """Staff at the desk: close a near-miss request without verifying, for a reason of the list
    and a note the resident reads (civic.services.desk)."""

    permission_classes = [role_permission(*DESK_ROLES)]

    class InputSerializer(serializers.Serializer):
        reason = serializers.ChoiceField(choices=DeskCloseReason.choices)
        note = serializers.CharField(max_length=NOTE_MAX, required=False, allow_blank=True)

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        outcome = serializers.CharField()
        close_reason = serializers.CharField()
        close_note = serializers.CharField()
        closed_at = serializers.DateTimeField()

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        closed = desk_request_close(
            agent=authenticated_user(request), request_id=pk, **data.validated_data
        )
        return Response(self.OutputSerializer(closed).data)


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


class WebhookSubscribeApi(APIView):
    """Register a webhook receiver (administrators). The receiving address is checked as each
    delivery checks it (400 `webhook_destination_refused` or `webhook_scheme_refused`); the shared
    secret is write-only: no answer, page or export shows it again."""

    permission_classes = [role_permission(Role.ADMINISTRATOR)]

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=120)
        url = serializers.URLField(max_length=500)
        events = serializers.ListField(
            child=serializers.ChoiceField(choices=WebhookEvent.choices), min_length=1
        )
        secret = serializers.CharField(
            write_only=True, min_length=32, max_length=64, trim_whitespace=False
        )

    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = WebhookSubscriber
            fields = ["id", "name", "url", "events", "active", "created_at"]

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscriber = webhook_subscribe(
            actor=authenticated_user(request),
            name=data.validated_data["name"],
            url=data.validated_data["url"],
            events=list(dict.fromkeys(data.validated_data["events"])),
            secret=data.validated_data["secret"],
        )
        return Response(self.OutputSerializer(subscriber).data, status=status.HTTP_201_CREATED)
