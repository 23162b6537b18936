"""Minutes: drafted at the close, edited by the clerk, approved at a later session, published."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from assembly.models import (
    Attendance,
    Member,
    MemberStatus,
    Minutes,
    MinutesStatus,
    Motion,
    MotionStatus,
    Session,
    SessionStatus,
)
from assembly.services.common import session_locked
from assembly.workflow import MINUTES, may_move
from civic.audit import audit_record
from civic.errors import InvalidTransition, NotFound, RuleViolation
from civic.events import publish
from civic.models import User


def minutes_text(session: Session) -> str:
    lines = [
        f"{session.title}",
        _("Séance du %(date)s, %(place)s.")
        % {
            "date": timezone.localtime(session.starts_at).strftime("%d/%m/%Y %H:%M"),
            "place": session.place,
        },
        "",
    ]
    present = list(
        Attendance.objects.filter(session=session, present=True)
        .select_related("member")
        .order_by("member__seat")
    )
    active = Member.objects.filter(
        mandate_id=session.mandate_id, status=MemberStatus.ACTIVE
    ).count()
    lines.append(
        ngettext(
            "Présent : %(n)s membre sur %(active)s.",
            "Présents : %(n)s membres sur %(active)s.",
            len(present),
        )
        % {"n": len(present), "active": active}
    )
    lines.append(", ".join(f"{a.member.first_name} ({a.member.district_name})" for a in present))
    lines.append("")
    lines.append(_("Ordre du jour :"))
    for item in session.agenda_items.order_by("position", "id"):
        lines.append(f"{item.position}. {item.title} ({item.duration_minutes} min)")
    lines.append("")
    motions = list(session.motions.filter(status=MotionStatus.CLOSED).order_by("id"))
    if motions:
        lines.append(_("Votes :"))
    for m in motions:
        lines.append(
            _(
                "« %(title)s » — %(result)s (%(majority)s) : %(f)s pour, %(a)s contre, %(s)s abstentions, %(p)s présents."
            )
            % {
                "title": m.title,
                "result": m.get_result_display(),
                "majority": m.get_majority_display(),
                "f": m.votes_for,
                "a": m.votes_against,
                "s": m.abstentions,
                "p": m.present_count,
            }
        )
    return "\n".join(lines).strip() + "\n"


def minutes_draft(*, session: Session) -> Minutes:
    """Draft the minutes from the agenda, attendance and votes (once: the clerk's edits are kept)."""
    minutes, _created = Minutes.objects.get_or_create(
        session=session, defaults={"body": minutes_text(session), "drafted_at": timezone.now()}
    )
    return minutes


def minutes_edit(*, session_id: int, body: str, actor: User) -> Minutes:
    with transaction.atomic():
        minutes = Minutes.objects.select_for_update().filter(session_id=session_id).first()
        if minutes is None:
            raise NotFound(_("Le procès-verbal n'est pas encore rédigé."), code="minutes_not_found")
        if minutes.status != MinutesStatus.DRAFT:
            raise InvalidTransition(
                _("Un procès-verbal approuvé ne se modifie plus."), code="minutes_not_draft"
            )
        before = minutes.body
        minutes.body = body
        minutes.edited_at = timezone.now()
        minutes.edited_by = actor
        minutes.save(update_fields=["body", "edited_at", "edited_by"])
        audit_record(
            actor=actor,
            verb="assembly.minutes_edit",
            target=minutes,
            before={"body": before},
            after={"body": body},
        )
    return minutes


def check_minutes_approvable(session_id: int | None, *, at: Session) -> Minutes:
    if session_id is None:
        raise NotFound(
            _("Précisez la séance dont le procès-verbal est approuvé."), code="minutes_not_found"
        )
    minutes = Minutes.objects.select_related("session").filter(session_id=session_id).first()
    if minutes is None:
        raise NotFound(_("Ce procès-verbal n'existe pas."), code="minutes_not_found")
    if minutes.status != MinutesStatus.DRAFT:
        raise InvalidTransition(_("Ce procès-verbal est déjà approuvé."), code="minutes_not_draft")
    earlier = minutes.session
    if earlier.mandate_id != at.mandate_id or not (
        earlier.starts_at < at.starts_at and earlier.pk != at.pk
    ):
        raise RuleViolation(
            _("Un procès-verbal s'approuve lors d'une séance ultérieure de la même assemblée."),
            code="approval_not_later_session",
            rule=at.mandate.rules_reference,
        )
    return minutes


def minutes_approve(
    *, session_id: int, at_session_id: int, actor: User, motion: Motion | None = None
) -> Minutes:
    """Approve the minutes of `session_id` during the later session `at_session_id`, either by an
    adopted approval motion or by an approval the clerk records during that session."""
    with transaction.atomic():
        at = session_locked(at_session_id)
        if at.status != SessionStatus.OPEN:
            raise InvalidTransition(
                _("L'approbation se fait pendant une séance ouverte."), code="session_not_open"
            )
        minutes = check_minutes_approvable(session_id, at=at)
        minutes = Minutes.objects.select_for_update().get(pk=minutes.pk)
        if not may_move(MINUTES, minutes.status, MinutesStatus.APPROVED):
            raise InvalidTransition(
                _("Ce procès-verbal est déjà approuvé."), code="minutes_not_draft"
            )
        minutes.status = MinutesStatus.APPROVED
        minutes.approved_at = timezone.now()
        minutes.approved_in = at
        minutes.approval_motion = motion
        minutes.save(update_fields=["status", "approved_at", "approved_in", "approval_motion"])
        audit_record(
            actor=actor,
            verb="assembly.minutes_approve",
            target=minutes,
            after={"at_session": at.pk, "motion": motion.pk if motion else None},
        )
    return minutes


def minutes_publish(*, session_id: int, actor: User) -> Minutes:
    with transaction.atomic():
        minutes = Minutes.objects.select_for_update().filter(session_id=session_id).first()
        if minutes is None:
            raise NotFound(_("Ce procès-verbal n'existe pas."), code="minutes_not_found")
        if not may_move(MINUTES, minutes.status, MinutesStatus.PUBLISHED):
            raise InvalidTransition(
                _("Seul un procès-verbal approuvé peut être publié."), code="minutes_not_approved"
            )
        minutes.status = MinutesStatus.PUBLISHED
        minutes.published_at = timezone.now()
        minutes.save(update_fields=["status", "published_at"])
        audit_record(actor=actor, verb="assembly.minutes_publish", target=minutes)
        publish(
            "assembly.minutes_published",
            session_id=session_id,
            mandate_id=Session.objects.values_list("mandate_id", flat=True).get(pk=session_id),
        )
    return minutes
