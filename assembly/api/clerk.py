"""The clerk's API operations (role assembly_clerk): commitment, draw, departures, sessions,
attendance, motions and votes."""

from __future__ import annotations

from typing import Any, cast

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assembly.api.views import CommitmentSummary, MotionOutput, SessionOutput
from assembly.models import (
    CommitmentJob,
    CommitmentJobStatus,
    DrawCommitment,
    Majority,
    MotionKind,
    Session,
    VoteChoice,
)
from assembly.services import draw, sessions, votes
from assembly.services.commitment import commitment_request
from civic.api.fields import CivicDateTimeField, IdField
from civic.api.permissions import role_permission
from civic.errors import RuleViolation
from civic.models import User
from civic.roles import Role

IsClerk = role_permission(Role.ASSEMBLY_CLERK)


def _actor(request: Request) -> User:
    # Every clerk endpoint checks the role first: the user is an authenticated account.
    return cast(User, request.user)


class CommitmentJobOutput(serializers.ModelSerializer):
    """The clerk's request to publish the commitment, as a worker takes it through: `pending`,
    `running`, then `done` (with the commitment) or `failed` (with the refusal's code and text;
    POST the request again to retry)."""

    status_label = serializers.CharField(source="get_status_display")
    error = serializers.SerializerMethodField()
    commitment = serializers.SerializerMethodField()

    class Meta:
        model = CommitmentJob
        fields = [
            "status",
            "status_label",
            "seed_source",
            "seed_expected_at",
            "requested_at",
            "started_at",
            "finished_at",
            "attempts",
            "error",
            "commitment",
        ]

    class ErrorOutput(serializers.Serializer):
        code = serializers.CharField()
        detail = serializers.CharField()

    @extend_schema_field(ErrorOutput(allow_null=True))
    def get_error(self, job: CommitmentJob) -> dict[str, str] | None:
        if job.status != CommitmentJobStatus.FAILED:
            return None
        return {"code": job.error_code, "detail": job.error_detail}

    @extend_schema_field(CommitmentSummary(allow_null=True))
    def get_commitment(self, job: CommitmentJob) -> dict[str, Any] | None:
        if job.status != CommitmentJobStatus.DONE:
            return None
        commitment = DrawCommitment.objects.filter(mandate_id=job.mandate_id).first()
        return CommitmentSummary(commitment).data if commitment else None


class CommitmentRequestApi(APIView):
    """Ask for the commitment: the same checks as the clerk's desk are made at once (a refusal is
    a 4xx), then a worker computes the lottery (a minute of solver time for a large pool) and
    publishes it. Answers 202 with the job and its address in `Location`; a second request while
    one is pending or running is refused (409 `commitment_in_progress`), a failed one may be
    asked again."""

    permission_classes = [IsClerk]

    class InputSerializer(serializers.Serializer):
        seed_expected_at = CivicDateTimeField(
            help_text="The draw uses the first drand quicknet round produced after this time."
        )

    @extend_schema(request=InputSerializer, responses={202: CommitmentJobOutput})
    def post(self, request: Request, pk: int) -> Response:
        _no_seed(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = commitment_request(mandate_id=pk, actor=_actor(request), **data.validated_data)
        location = reverse("api-assembly-commitment-job", kwargs={"pk": pk})
        return Response(CommitmentJobOutput(job).data, status=202, headers={"Location": location})


class CommitmentJobApi(APIView):
    """Where the clerk's request to publish the commitment stands (404 `not_found` if never
    asked)."""

    permission_classes = [IsClerk]

    @extend_schema(responses={200: CommitmentJobOutput})
    def get(self, request: Request, pk: int) -> Response:
        return Response(CommitmentJobOutput(get_object_or_404(CommitmentJob, mandate_id=pk)).data)


class DrawRunApi(APIView):
    """Draw: the seed is the randomness of the drand round the commitment named, read from every
    configured relay once the round is produced (409 `beacon_unavailable`, `beacon_disagreement`
    otherwise; 400 `seed_not_yet_public` before). A body naming a seed is refused (400
    `seed_not_accepted`)."""

    permission_classes = [IsClerk]

    @extend_schema(request=None, responses={200: CommitmentSummary})
    def post(self, request: Request, pk: int) -> Response:
        _no_seed(request)
        commitment = draw.draw_run(mandate_id=pk, actor=_actor(request))
        return Response(CommitmentSummary(commitment).data)


def _no_seed(request: Request) -> None:
    data = request.data if isinstance(request.data, dict) else {}
    if "seed" in data or "seed_source" in data:
        raise RuleViolation(
            _("L'aléa ne se saisit pas : il vient du tour public nommé par l'engagement."),
            code="seed_not_accepted",
        )


class MemberLeaveApi(APIView):
    permission_classes = [IsClerk]

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    class OutputSerializer(serializers.Serializer):
        member = serializers.IntegerField(source="pk")
        status = serializers.CharField()
        replaced_by = serializers.IntegerField(source="replaced_by_id", allow_null=True)

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = draw.member_leave(
            member_id=pk, actor=_actor(request), reason=data.validated_data["reason"]
        )
        return Response(self.OutputSerializer(member).data)


class SessionTransitionApi(APIView):
    permission_classes = [IsClerk]
    action = "open"

    @extend_schema(request=None, responses={200: SessionOutput})
    def post(self, request: Request, pk: int) -> Response:
        service = sessions.session_open if self.action == "open" else sessions.session_close
        session = service(session_id=pk, actor=_actor(request))
        return Response(SessionOutput(session).data)


class AttendanceRecordApi(APIView):
    permission_classes = [IsClerk]

    class InputSerializer(serializers.Serializer):
        member_id = serializers.IntegerField()
        present = serializers.BooleanField()

    class OutputSerializer(serializers.Serializer):
        member_id = serializers.IntegerField()
        present = serializers.BooleanField()
        quorum = serializers.DictField()

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attendance = votes.attendance_record(
            session_id=pk, actor=_actor(request), **data.validated_data
        )
        session = Session.objects.select_related("mandate").get(pk=pk)
        return Response(
            {
                "member_id": attendance.member_id,
                "present": attendance.present,
                "quorum": votes.quorum_status(session),
            }
        )


class MotionCreateApi(APIView):
    permission_classes = [IsClerk]

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=255)
        text = serializers.CharField(required=False, allow_blank=True, default="")
        majority = serializers.ChoiceField(choices=Majority.choices)
        kind = serializers.ChoiceField(choices=MotionKind.choices, default=MotionKind.ORDINARY)
        agenda_item_id = IdField(required=False, allow_null=True, default=None)
        minutes_session_id = IdField(required=False, allow_null=True, default=None)

    @extend_schema(request=InputSerializer, responses={201: MotionOutput})
    def post(self, request: Request, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        motion = votes.motion_create(session_id=pk, actor=_actor(request), **data.validated_data)
        return Response(MotionOutput(motion).data, status=201)


class MotionTransitionApi(APIView):
    permission_classes = [IsClerk]
    action = "open"

    @extend_schema(request=None, responses={200: MotionOutput})
    def post(self, request: Request, pk: int) -> Response:
        service = votes.motion_open if self.action == "open" else votes.motion_close
        motion = service(motion_id=pk, actor=_actor(request))
        return Response(MotionOutput(motion).data)


class VoteRecordApi(APIView):
    permission_classes = [IsClerk]

    class InputSerializer(serializers.Serializer):
        member_id = serializers.IntegerField()
        choice = serializers.ChoiceField(choices=VoteChoice.choices)

    class OutputSerializer(serializers.Serializer):
        motion_id = serializers.IntegerField()
        member_id = serializers.IntegerField()
        choice = serializers.CharField()

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        vote = votes.vote_record(motion_id=pk, actor=_actor(request), **data.validated_data)
        return Response(
            {"motion_id": vote.motion_id, "member_id": vote.member_id, "choice": vote.choice}
        )
