"""The clerk's record of a session, from the clerk's desk (assembly/clerk_views.py posts each
button's `action` here): who was present, and the minutes written, published and approved. Each
step is one service call; the services check the session's state and audit."""

from __future__ import annotations

from django.http import HttpRequest

from assembly.forms import MinutesForm, posted_id
from assembly.models import Member, MemberStatus, Session
from assembly.services import minutes as minutes_services
from assembly.services import votes
from civic.models import User


def attendance_record(request: HttpRequest, session: Session, actor: User) -> None:
    present_ids = {int(v) for v in request.POST.getlist("present") if v.isdigit()}
    for member in Member.objects.filter(mandate_id=session.mandate_id, status=MemberStatus.ACTIVE):
        votes.attendance_record(
            session_id=session.pk,
            member_id=member.pk,
            present=member.pk in present_ids,
            actor=actor,
        )


def minutes_edit(request: HttpRequest, session: Session, actor: User) -> None:
    minutes_form = MinutesForm(request.POST)
    if minutes_form.is_valid():
        minutes_services.minutes_edit(
            session_id=session.pk, body=minutes_form.cleaned_data["body"], actor=actor
        )


def minutes_publish(request: HttpRequest, session: Session, actor: User) -> None:
    minutes_services.minutes_publish(session_id=session.pk, actor=actor)


def minutes_approve(request: HttpRequest, session: Session, actor: User) -> None:
    earlier = posted_id(request.POST.get("minutes_session"))
    minutes_services.minutes_approve(session_id=earlier, at_session_id=session.pk, actor=actor)
