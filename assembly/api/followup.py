"""The assembly's API beyond votes: sessions and their agenda, attendance, minutes and
recommendations. Reads are public once the object is (a planned session, a draft of the minutes
and attendance before the session opens are the clerk's); writes are the clerk's and go through
the same services as the clerk's pages, which check and audit."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assembly import selectors
from assembly.api.clerk import AttendanceRecordApi, IsClerk
from assembly.api.views import AgendaItemOutput, MinutesOutput, SessionOutput
from assembly.models import (
    Attendance,
    Mandate,
    Minutes,
    MinutesStatus,
    Recommendation,
    Session,
    SessionStatus,
)
from assembly.rules import sees_unpublished
from assembly.services import minutes, recommendations, sessions, votes
from civic.api.fields import CivicDateTimeField, IdField
from civic.api.permissions import role_permission
from civic.models import User
from civic.roles import Role


def _actor(request: Request) -> User:
    return cast(User, request.user)


def _visible_session(request: Request, pk: int) -> Session:
    """A planned session (agenda not yet published) is the clerk's and the auditor's only."""
    qs = Session.objects.select_related("mandate")
    if not sees_unpublished(request.user):
        qs = qs.exclude(status=SessionStatus.PLANNED)
    return get_object_or_404(qs, pk=pk)


class ReadForAllWriteForClerk(BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return IsClerk().has_permission(request, view)


# Sessions and agendas


class SessionCreateApi(APIView):
    """The clerk plans a session of a seated assembly (409 `mandate_not_seated` otherwise). It stays
    the clerk's until its agenda is published."""

    permission_classes = [IsClerk]

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=255)
        starts_at = CivicDateTimeField()
        place = serializers.CharField(max_length=255)
        capacity_minutes = serializers.IntegerField(min_value=15, max_value=24 * 60, default=180)

    @extend_schema(request=InputSerializer, responses={201: SessionOutput})
    def post(self, request: Request, pk: int) -> Response:
        mandate = get_object_or_404(Mandate, pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = sessions.session_create(
            mandate_id=mandate.pk, actor=_actor(request), **data.validated_data
        )
        return Response(SessionOutput(session).data, status=201)


class AgendaItemListApi(APIView):
    """A session's agenda in order (public once published). The clerk appends an item while the
    agenda is open and the session has time left (409 `session_full`, 400 `agenda_closed`)."""

    permission_classes = [ReadForAllWriteForClerk]

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=255)
        description = serializers.CharField(required=False, allow_blank=True, default="")
        duration_minutes = serializers.IntegerField(min_value=1, max_value=24 * 60)

    @extend_schema(responses={200: AgendaItemOutput(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        session = _visible_session(request, pk)
        items = session.agenda_items.order_by("position")
        return Response(AgendaItemOutput(items, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: AgendaItemOutput})
    def post(self, request: Request, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = sessions.agenda_item_add(session_id=pk, actor=_actor(request), **data.validated_data)
        return Response(AgendaItemOutput(item).data, status=201)


class AgendaPublishApi(APIView):
    """Publish the agenda and tell the members; a second request changes nothing
    (`published: false`)."""

    permission_classes = [IsClerk]

    class OutputSerializer(serializers.Serializer):
        published = serializers.BooleanField()
        session = SessionOutput()

    @extend_schema(request=None, responses={200: OutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        published = sessions.session_publish_agenda(session_id=pk, actor=_actor(request))
        session = Session.objects.get(pk=pk)
        return Response({"published": published, "session": SessionOutput(session).data})


# Attendance


class AttendanceRowOutput(serializers.ModelSerializer):
    seat = serializers.IntegerField(source="member.seat")
    first_name = serializers.CharField(source="member.first_name")
    district_name = serializers.CharField(source="member.district_name")

    class Meta:
        model = Attendance
        fields = ["member_id", "seat", "first_name", "district_name", "present", "recorded_at"]


class AttendanceApi(AttendanceRecordApi):
    """Who was present, by seat, first name and district (the members' public identity), and the
    quorum, once the session has opened; before that the clerk's only. POST records a member's
    presence (the clerk's)."""

    permission_classes = [ReadForAllWriteForClerk]

    class ListOutput(serializers.Serializer):
        quorum = serializers.DictField()
        members = AttendanceRowOutput(many=True)

    @extend_schema(responses={200: ListOutput})
    def get(self, request: Request, pk: int) -> Response:
        session = _visible_session(request, pk)
        if session.status == SessionStatus.PUBLISHED and not sees_unpublished(request.user):
            rows: QuerySet[Attendance] = Attendance.objects.none()
        else:
            rows = session.attendances.select_related("member").order_by("member__seat")
        return Response(
            {
                "quorum": votes.quorum_status(session),
                "members": AttendanceRowOutput(rows, many=True).data,
            }
        )


# Minutes


class MinutesApi(APIView):
    """The minutes of a session: public once published, the clerk's (and the auditor's) while a
    draft or approved (404 `not_found` for others). The clerk edits a draft's text (400
    `minutes_not_draft` once approved)."""

    permission_classes = [ReadForAllWriteForClerk]

    class InputSerializer(serializers.Serializer):
        body = serializers.CharField(max_length=200_000)

    @extend_schema(responses={200: MinutesOutput})
    def get(self, request: Request, pk: int) -> Response:
        session = _visible_session(request, pk)
        qs = Minutes.objects.filter(session=session)
        if not sees_unpublished(request.user):
            qs = qs.filter(status=MinutesStatus.PUBLISHED)
        return Response(MinutesOutput(get_object_or_404(qs)).data)

    @extend_schema(request=InputSerializer, responses={200: MinutesOutput})
    def patch(self, request: Request, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        edited = minutes.minutes_edit(session_id=pk, actor=_actor(request), **data.validated_data)
        return Response(MinutesOutput(edited).data)


class MinutesApproveApi(APIView):
    """Record the approval of these minutes during a later open session of the same assembly
    (400 `approval_not_later_session`, `session_not_open`)."""

    permission_classes = [IsClerk]

    class InputSerializer(serializers.Serializer):
        at_session_id = IdField()

    @extend_schema(request=InputSerializer, responses={200: MinutesOutput})
    def post(self, request: Request, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        approved = minutes.minutes_approve(
            session_id=pk, at_session_id=data.validated_data["at_session_id"], actor=_actor(request)
        )
        return Response(MinutesOutput(approved).data)


class MinutesPublishApi(APIView):
    """Publish approved minutes (409 `minutes_not_approved` before)."""

    permission_classes = [IsClerk]

    @extend_schema(request=None, responses={200: MinutesOutput})
    def post(self, request: Request, pk: int) -> Response:
        return Response(
            MinutesOutput(minutes.minutes_publish(session_id=pk, actor=_actor(request))).data
        )


# Recommendations


class RecommendationOutput(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display")

    class Meta:
        model = Recommendation
        fields = [
            "id",
            "mandate",
            "motion",
            "title",
            "text",
            "status",
            "status_label",
            "adopted_at",
            "referred_at",
            "answer_due",
            "council_answer",
            "answered_at",
            "referendum_asked_at",
            "target_kind",
            "target_id",
        ]


class RecommendationListApi(ListAPIView):
    """The recommendations an assembly adopted and what became of each (public)."""

    serializer_class = RecommendationOutput
    permission_classes = [AllowAny]

    def get_queryset(self) -> QuerySet[Recommendation]:
        mandate = get_object_or_404(selectors.mandate_list(), pk=self.kwargs["pk"])
        return selectors.recommendation_list(mandate=mandate)


class RecommendationDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: RecommendationOutput})
    def get(self, request: Request, pk: int) -> Response:
        public = Recommendation.objects.filter(mandate__in=selectors.mandate_list())
        return Response(RecommendationOutput(get_object_or_404(public, pk=pk)).data)


class RecommendationReferApi(APIView):
    """Refer an adopted recommendation to the council with the date its answer is due (400
    `deadline_in_past`; 400 `already_followed_up` if it has a follow-up already)."""

    permission_classes = [IsClerk]

    class InputSerializer(serializers.Serializer):
        answer_due = serializers.DateField()

    @extend_schema(request=InputSerializer, responses={200: RecommendationOutput})
    def post(self, request: Request, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rec = recommendations.recommendation_refer(
            recommendation_id=pk, actor=_actor(request), **data.validated_data
        )
        return Response(RecommendationOutput(rec).data)


class RecommendationAnswerApi(APIView):
    """Record the council's answer to a referred recommendation (400 `answer_empty`,
    `not_referred`)."""

    permission_classes = [IsClerk]

    class InputSerializer(serializers.Serializer):
        answer = serializers.CharField(max_length=20_000)

    @extend_schema(request=InputSerializer, responses={200: RecommendationOutput})
    def post(self, request: Request, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rec = recommendations.recommendation_answer(
            recommendation_id=pk, actor=_actor(request), **data.validated_data
        )
        return Response(RecommendationOutput(rec).data)


class RecommendationReferendumApi(APIView):
    """Ask for a referendum campaign draft made from an adopted recommendation (the clerk or a
    campaign manager); the recommendation reads `referendum_asked` until the draft exists."""

    permission_classes = [role_permission(Role.ASSEMBLY_CLERK, Role.CAMPAIGN_MANAGER)]

    @extend_schema(request=None, responses={200: RecommendationOutput})
    def post(self, request: Request, pk: int) -> Response:
        rec = recommendations.recommendation_convert_to_referendum(
            recommendation_id=pk, actor=_actor(request)
        )
        return Response(RecommendationOutput(rec).data)
