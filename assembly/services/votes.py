"""Attendance, quorum, motions and the recorded votes of members."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from assembly.models import (
    Attendance,
    Member,
    MemberStatus,
    Motion,
    MotionKind,
    MotionResult,
    MotionStatus,
    MotionVote,
    Session,
    SessionStatus,
    VoteChoice,
)
from assembly.rules import Tally, is_adopted, quorum_met, quorum_needed
from assembly.services.common import session_locked
from assembly.services.minutes import check_minutes_approvable, minutes_approve
from assembly.services.recommendations import recommendation_from_motion
from assembly.workflow import MOTION, may_move
from civic.audit import audit_record
from civic.errors import InvalidTransition, NotFound, RuleViolation
from civic.models import User


def attendance_record(*, session_id: int, member_id: int, present: bool, actor: User) -> Attendance:
    with transaction.atomic():
        session = session_locked(session_id)
        if session.status not in (SessionStatus.PUBLISHED, SessionStatus.OPEN):
            raise InvalidTransition(
                _("Les présences se notent pendant la séance."), code="session_not_open"
            )
        member = Member.objects.filter(pk=member_id, mandate_id=session.mandate_id).first()
        if member is None:
            raise NotFound(
                _("Ce membre n'appartient pas à cette assemblée."), code="member_not_found"
            )
        if present and member.status != MemberStatus.ACTIVE:
            raise RuleViolation(_("Ce membre n'est plus en fonction."), code="member_not_active")
        attendance, _created = Attendance.objects.update_or_create(
            session=session,
            member=member,
            defaults={"present": present, "recorded_at": timezone.now(), "recorded_by": actor},
        )
        audit_record(
            actor=actor,
            verb="assembly.attendance",
            target=attendance,
            after={"member": member.pk, "present": present},
        )
    return attendance


def quorum_status(session: Session) -> dict[str, int | bool]:
    active = Member.objects.filter(
        mandate_id=session.mandate_id, status=MemberStatus.ACTIVE
    ).count()
    present = Attendance.objects.filter(
        session=session, present=True, member__status=MemberStatus.ACTIVE
    ).count()
    percent = session.mandate.quorum_percent
    return {
        "active": active,
        "present": present,
        "needed": quorum_needed(active=active, quorum_percent=percent),
        "met": quorum_met(present=present, active=active, quorum_percent=percent),
    }


def _require_quorum(session: Session) -> dict[str, int | bool]:
    status = quorum_status(session)
    if not status["met"]:
        raise RuleViolation(
            ngettext(
                "Quorum non atteint : %(present)s membre présent sur %(active)s, %(needed)s requis.",
                "Quorum non atteint : %(present)s membres présents sur %(active)s, %(needed)s requis.",
                int(status["present"]),
            )
            % status,
            code="quorum_not_met",
            rule=session.mandate.rules_reference,
        )
    return status


def motion_create(
    *,
    session_id: int,
    actor: User,
    title: str,
    majority: str,
    text: str = "",
    kind: str = MotionKind.ORDINARY,
    agenda_item_id: int | None = None,
    minutes_session_id: int | None = None,
) -> Motion:
    with transaction.atomic():
        session = session_locked(session_id)
        if session.status in (SessionStatus.CLOSED, SessionStatus.CANCELLED):
            raise InvalidTransition(_("Cette séance est close."), code="session_closed")
        if (
            agenda_item_id is not None
            and not session.agenda_items.filter(pk=agenda_item_id).exists()
        ):
            raise NotFound(
                _("Ce point n'est pas à l'ordre du jour de la séance."),
                code="agenda_item_not_found",
            )
        if kind == MotionKind.MINUTES_APPROVAL:
            check_minutes_approvable(minutes_session_id, at=session)
        motion = Motion.objects.create(
            session=session,
            title=title,
            text=text,
            majority=majority,
            kind=kind,
            agenda_item_id=agenda_item_id,
            minutes_session_id=minutes_session_id if kind == MotionKind.MINUTES_APPROVAL else None,
        )
        audit_record(
            actor=actor,
            verb="assembly.motion_create",
            target=motion,
            after={"majority": majority, "kind": kind},
        )
    return motion


def _motion_locked(motion_id: int) -> Motion:
    try:
        return (
            Motion.objects.select_for_update(of=("self",))
            .select_related("session__mandate")
            .get(pk=motion_id)
        )
    except Motion.DoesNotExist:
        raise NotFound(_("Cette motion n'existe pas.")) from None


def motion_open(*, motion_id: int, actor: User) -> Motion:
    """Open the vote. The quorum is checked first: no vote opens without it."""
    with transaction.atomic():
        motion = _motion_locked(motion_id)
        session = motion.session
        if session.status != SessionStatus.OPEN:
            raise InvalidTransition(_("La séance n'est pas ouverte."), code="session_not_open")
        if not may_move(MOTION, motion.status, MotionStatus.OPEN):
            raise InvalidTransition(_("Ce vote a déjà été ouvert."), code="motion_not_draft")
        status = _require_quorum(session)
        motion.status = MotionStatus.OPEN
        motion.opened_at = timezone.now()
        motion.save(update_fields=["status", "opened_at"])
        audit_record(actor=actor, verb="assembly.motion_open", target=motion, after=status)
    return motion


def vote_record(*, motion_id: int, member_id: int, choice: str, actor: User) -> MotionVote:
    """The clerk records one member's vote (a show of hands, a roll call). A member votes once per
    motion; a correction while the vote is open replaces the choice (audited)."""
    if choice not in VoteChoice.values:
        raise RuleViolation(_("Choix de vote inconnu."), code="invalid_choice")
    with transaction.atomic():
        motion = _motion_locked(motion_id)
        if motion.status != MotionStatus.OPEN:
            raise InvalidTransition(_("Le vote n'est pas ouvert."), code="vote_not_open")
        member = Member.objects.filter(
            pk=member_id, mandate_id=motion.session.mandate_id, status=MemberStatus.ACTIVE
        ).first()
        if member is None:
            raise NotFound(
                _("Ce membre n'est pas en fonction dans cette assemblée."), code="member_not_found"
            )
        if not Attendance.objects.filter(
            session_id=motion.session_id, member=member, present=True
        ).exists():
            raise RuleViolation(_("Seuls les membres présents votent."), code="member_not_present")
        vote, created = MotionVote.objects.update_or_create(
            motion=motion,
            member=member,
            defaults={"choice": choice, "recorded_at": timezone.now(), "recorded_by": actor},
        )
        audit_record(
            actor=actor,
            verb="assembly.vote_record" if created else "assembly.vote_correct",
            target=motion,
            after={"member": member.pk, "choice": choice},
        )
    return vote


def motion_close(*, motion_id: int, actor: User) -> Motion:
    """Close the vote and compute the result by the motion's majority rule (see assembly.rules)."""
    with transaction.atomic():
        motion = _motion_locked(motion_id)
        if not may_move(MOTION, motion.status, MotionStatus.CLOSED):
            raise InvalidTransition(_("Le vote n'est pas ouvert."), code="vote_not_open")
        session = motion.session
        # The quorum was checked when the vote opened; the count of members present at the close
        # is what the absolute majority is measured against.
        status = quorum_status(session)
        counts = motion.votes.filter(member__status=MemberStatus.ACTIVE).aggregate(
            f=Count("id", filter=Q(choice=VoteChoice.FOR)),
            a=Count("id", filter=Q(choice=VoteChoice.AGAINST)),
            s=Count("id", filter=Q(choice=VoteChoice.ABSTAIN)),
        )
        tally = Tally(counts["f"], counts["a"], counts["s"], int(status["present"]))
        adopted = is_adopted(motion.majority, tally)
        motion.status = MotionStatus.CLOSED
        motion.closed_at = timezone.now()
        motion.votes_for, motion.votes_against, motion.abstentions = (
            tally.votes_for,
            tally.votes_against,
            tally.abstentions,
        )
        motion.present_count = tally.present
        motion.active_count = int(status["active"])
        motion.result = MotionResult.ADOPTED if adopted else MotionResult.REJECTED
        motion.save()
        audit_record(
            actor=actor,
            verb="assembly.motion_close",
            target=motion,
            after={
                "result": motion.result,
                "for": tally.votes_for,
                "against": tally.votes_against,
                "abstain": tally.abstentions,
                "present": tally.present,
                "majority": motion.majority,
            },
        )
        if adopted and motion.kind == MotionKind.MINUTES_APPROVAL and motion.minutes_session_id:
            minutes_approve(
                session_id=motion.minutes_session_id,
                at_session_id=session.pk,
                actor=actor,
                motion=motion,
            )
        if adopted and motion.kind == MotionKind.RECOMMENDATION:
            recommendation_from_motion(motion=motion, actor=actor)
    return motion
