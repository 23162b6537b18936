"""The clerk's API operations (role assembly_clerk): commitment, draw, departures, sessions,
attendance, motions and votes."""

from __future__ import annotations

from typing import cast

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assembly.api.views import CommitmentSummary, MotionOutput, SessionOutput
from assembly.models import (
    Majority,
    MotionKind,
    Session,
    VoteChoice,
)
from assembly.services import draw, sessions, votes
from civic.api.fields import CivicDateTimeField, IdField
from civic.api.permissions import role_permission
from civic.models import User
from civic.roles import Role

IsClerk = role_permission(Role.ASSEMBLY_CLERK)


def _actor(request: Request) -> User:
    # Every clerk endpoint checks the role first: the user is an authenticated account.
    return cast(User, request.user)


class CommitmentPublishApi(APIView):
    permission_classes = [IsClerk]

    class InputSerializer(serializers.Serializer):
        seed_source = serializers.CharField(max_length=500)
        seed_expected_at = CivicDateTimeField()

    @extend_schema(request=InputSerializer, responses={201: CommitmentSummary})
    def post(self, request: Request, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        commitment = draw.commitment_publish(
            mandate_id=pk, actor=_actor(request), **data.validated_data
        )
        return Response(CommitmentSummary(commitment).data, status=201)


class DrawRunApi(APIView):
    permission_classes = [IsClerk]

    class InputSerializer(serializers.Serializer):
        seed = serializers.CharField(max_length=500)

    @extend_schema(request=InputSerializer, responses={200: CommitmentSummary})
    def post(self, request: Request, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        commitment = draw.draw_run(
            mandate_id=pk, actor=_actor(request), seed=data.validated_data["seed"]
        )
        return Response(CommitmentSummary(commitment).data)


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
