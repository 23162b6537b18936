"""Sessions: agenda, attendance, quorum, motions and votes, minutes."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from assembly.models import (
    AgendaItem,
    Attendance,
    Mandate,
    MandateStatus,
    Member,
    MemberStatus,
    Minutes,
    MinutesStatus,
    Motion,
    MotionKind,
    MotionResult,
    MotionStatus,
    MotionVote,
    Session,
    SessionStatus,
    SourceKind,
    VoteChoice,
)
from assembly.rules import Tally, is_adopted, quorum_met, quorum_needed
from assembly.workflow import AGENDA_OPEN, MINUTES, MOTION, SESSION, may_move
from civic.audit import audit_record
from civic.errors import Conflict, InvalidTransition, NotFound, RuleViolation
from civic.models import User
from civic.notifications import notify

logger = logging.getLogger(__name__)


def _session_locked(session_id: int) -> Session:
    try:
        return (
            Session.objects.select_for_update(of=("self",))
            .select_related("mandate")
            .get(pk=session_id)
        )
    except Session.DoesNotExist:
        raise NotFound(_("Cette séance n'existe pas.")) from None


def _session_move(session: Session, target: str) -> None:
    if not may_move(SESSION, session.status, target):
        raise InvalidTransition(
            _("La séance est « %(status)s » : cette étape n'est pas possible.")
            % {"status": session.get_status_display()}
        )
    session.status = target


def session_create(
    *,
    mandate_id: int,
    actor: User,
    title: str,
    starts_at: datetime,
    place: str,
    capacity_minutes: int = 180,
) -> Session:
    with transaction.atomic():
        mandate = Mandate.objects.select_for_update(of=("self",)).get(pk=mandate_id)
        if mandate.status != MandateStatus.SEATED:
            raise Conflict(_("L'assemblée n'est pas encore constituée."), code="mandate_not_seated")
        session = Session.objects.create(
            mandate=mandate,
            title=title,
            starts_at=starts_at,
            place=place,
            capacity_minutes=capacity_minutes,
        )
        audit_record(
            actor=actor,
            verb="assembly.session_create",
            target=session,
            after={"starts_at": starts_at, "place": place},
        )
    return session


def agenda_minutes_used(session: Session) -> int:
    return session.agenda_items.aggregate(total=Sum("duration_minutes"))["total"] or 0


def agenda_item_add(
    *,
    session_id: int,
    actor: User | None,
    title: str,
    duration_minutes: int,
    source_kind: str = SourceKind.STAFF,
    source_id: int | None = None,
    source_url: str = "",
    description: str = "",
    obligation_id: int | None = None,
) -> AgendaItem:
    """Append an item if the session's agenda is open and has room. An item from an initiative or a
    referendum result is unique per mandate: a second placement raises Conflict("already_placed")."""
    if duration_minutes < 1:
        raise RuleViolation(_("La durée doit être positive."), code="invalid_duration")
    with transaction.atomic():
        session = _session_locked(session_id)
        if session.status not in AGENDA_OPEN:
            raise InvalidTransition(
                _("L'ordre du jour de cette séance est clos."), code="agenda_closed"
            )
        used = agenda_minutes_used(session)
        if used + duration_minutes > session.capacity_minutes:
            raise Conflict(
                _("La séance n'a plus assez de temps disponible (%(left)s minutes).")
                % {"left": session.capacity_minutes - used},
                code="session_full",
            )
        position = (
            session.agenda_items.order_by("-position").values_list("position", flat=True).first()
            or 0
        ) + 1
        try:
            with transaction.atomic():
                item = AgendaItem.objects.create(
                    mandate_id=session.mandate_id,
                    session=session,
                    position=position,
                    title=title[:255],
                    description=description,
                    duration_minutes=duration_minutes,
                    source_kind=source_kind,
                    source_id=source_id,
                    source_url=source_url,
                    obligation_id=obligation_id,
                )
        except IntegrityError:
            raise Conflict(
                _("Ce sujet est déjà inscrit à l'ordre du jour."), code="already_placed"
            ) from None
        audit_record(
            actor=actor,
            verb="assembly.agenda_add",
            target=item,
            after={
                "session": session.pk,
                "source_kind": source_kind,
                "source_id": source_id,
                "minutes": duration_minutes,
            },
        )
    return item


def next_session_with_room(mandate: Mandate, minutes: int) -> Session | None:
    candidates = (
        Session.objects.filter(
            mandate=mandate, status__in=AGENDA_OPEN, starts_at__gt=timezone.now()
        )
        .annotate(used=Sum("agenda_items__duration_minutes"))
        .order_by("starts_at", "id")
    )
    for session in candidates:
        if (session.used or 0) + minutes <= session.capacity_minutes:
            return session
    return None


def initiatives_place_on_agenda() -> int:
    """Place each initiative that reached its assembly rung on the next session with room, once,
    and tell its initiators. Idempotent: the unique (mandate, kind, id) constraint makes a second
    run (or a racing worker) a no-op. Returns the number of items placed.

    The petitions obligation stays open until the clerk closes the session that examined the item
    (`session_close` completes it then, with the clerk as the accountable actor)."""
    from petitions.interfaces import reached_obligations

    mandate = (
        Mandate.objects.filter(status=MandateStatus.SEATED).order_by("-starts_on", "-id").first()
    )
    if mandate is None:
        return 0
    placed = 0
    for obligation in reached_obligations(kind="assembly_agenda"):
        if AgendaItem.objects.filter(
            mandate=mandate, source_kind=SourceKind.INITIATIVE, source_id=obligation.initiative_id
        ).exists():
            continue
        session = next_session_with_room(mandate, mandate.initiative_item_minutes)
        if session is None:
            logger.info(
                "assembly: no session with room for initiative %s", obligation.initiative_id
            )
            break  # items wait for the next session to be scheduled
        try:
            with transaction.atomic():
                item = agenda_item_add(
                    session_id=session.pk,
                    actor=None,
                    title=obligation.initiative_title,
                    duration_minutes=mandate.initiative_item_minutes,
                    source_kind=SourceKind.INITIATIVE,
                    source_id=obligation.initiative_id,
                    source_url=obligation.initiative_url,
                    obligation_id=obligation.obligation_id,
                )
                url = reverse("assembly:session", args=[session.pk]) + f"#item-{item.pk}"
                for user in User.objects.filter(
                    pk__in=list(obligation.initiator_user_ids), is_active=True
                ):
                    notify(
                        recipient=user,
                        kind="assembly.initiative_on_agenda",
                        subject=_(
                            "Votre initiative est inscrite à l'ordre du jour de l'assemblée citoyenne"
                        ),
                        body=_(
                            "L'initiative « %(title)s » sera examinée lors de la séance « %(session)s » du %(date)s."
                        )
                        % {
                            "title": obligation.initiative_title,
                            "session": session.title,
                            "date": timezone.localtime(session.starts_at).strftime(
                                "%d/%m/%Y %H:%M"
                            ),
                        },
                        url=url,
                    )
        except Conflict as exc:
            if exc.code in ("already_placed", "session_full", "agenda_closed"):
                continue  # another worker placed it, or filled the session meanwhile: next run
            raise
        placed += 1
    return placed


def session_publish_agenda(*, session_id: int, actor: User | None) -> bool:
    """Publish the agenda and tell the members. Returns False when it was already published."""
    with transaction.atomic():
        session = _session_locked(session_id)
        if session.status != SessionStatus.PLANNED:
            return False
        session.status = SessionStatus.PUBLISHED
        session.agenda_published_at = timezone.now()
        session.save(update_fields=["status", "agenda_published_at"])
        audit_record(actor=actor, verb="assembly.agenda_publish", target=session)
        _notify_members(
            session,
            kind="assembly.agenda_published",
            subject=_("Ordre du jour de la séance du %(date)s"),
        )
    return True


def _member_users(mandate_id: int) -> list[User]:
    entries = Member.objects.filter(mandate_id=mandate_id, status=MemberStatus.ACTIVE).values(
        "volunteer__register_entry_id"
    )
    return list(User.objects.filter(register_entry_id__in=entries, is_active=True))


def _notify_members(session: Session, *, kind: str, subject: str) -> int:
    url = reverse("assembly:session", args=[session.pk])
    when = timezone.localtime(session.starts_at).strftime("%d/%m/%Y %H:%M")
    users = _member_users(session.mandate_id)
    for user in users:
        notify(
            recipient=user,
            kind=kind,
            subject=subject % {"date": when},
            body=_("Séance « %(title)s », le %(date)s, %(place)s.")
            % {"title": session.title, "date": when, "place": session.place},
            url=url,
        )
    return len(users)


def session_remind(*, session_id: int) -> int:
    """Remind members of a session, once (a guarded update claims the reminder)."""
    with transaction.atomic():
        claimed = Session.objects.filter(
            pk=session_id, reminder_sent_at__isnull=True, status__in=AGENDA_OPEN
        ).update(reminder_sent_at=timezone.now())
        if not claimed:
            return 0
        session = Session.objects.get(pk=session_id)
        return _notify_members(
            session,
            kind="assembly.session_reminder",
            subject=_("Rappel : séance de l'assemblée le %(date)s"),
        )


def session_open(*, session_id: int, actor: User) -> Session:
    with transaction.atomic():
        session = _session_locked(session_id)
        _session_move(session, SessionStatus.OPEN)
        session.opened_at = timezone.now()
        session.save(update_fields=["status", "opened_at"])
        audit_record(actor=actor, verb="assembly.session_open", target=session)
    return session


def session_close(*, session_id: int, actor: User) -> Session:
    with transaction.atomic():
        session = _session_locked(session_id)
        if session.motions.filter(status=MotionStatus.OPEN).exists():
            raise Conflict(_("Un vote est encore ouvert."), code="vote_open")
        _session_move(session, SessionStatus.CLOSED)
        session.closed_at = timezone.now()
        session.save(update_fields=["status", "closed_at"])
        minutes_draft(session=session)
        audit_record(actor=actor, verb="assembly.session_close", target=session)
        _complete_obligations(session, actor=actor)
    return session


def _complete_obligations(session: Session, *, actor: User) -> None:
    """The initiatives examined at this session: their "assembly agenda" obligation is kept."""
    items = list(
        session.agenda_items.filter(source_kind=SourceKind.INITIATIVE, obligation_id__isnull=False)
    )
    if not items:
        return
    from petitions.interfaces import obligation_complete

    for item in items:
        assert item.obligation_id is not None
        try:
            with transaction.atomic():
                obligation_complete(
                    obligation_id=item.obligation_id,
                    actor=actor,
                    evidence=reverse("assembly:session", args=[session.pk]) + f"#item-{item.pk}",
                )
        except Conflict as exc:
            if exc.code != "obligation_already_done":
                raise


# --- Attendance and quorum ----------------------------------------------------------------------


def attendance_record(*, session_id: int, member_id: int, present: bool, actor: User) -> Attendance:
    with transaction.atomic():
        session = _session_locked(session_id)
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
            _(
                "Quorum non atteint : %(present)s membres présents sur %(active)s, %(needed)s requis."
            )
            % status,
            code="quorum_not_met",
            rule=session.mandate.rules_reference,
        )
    return status


# --- Motions and votes --------------------------------------------------------------------------


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
        session = _session_locked(session_id)
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
            _check_minutes_approvable(minutes_session_id, at=session)
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
            from assembly.services.recommendations import recommendation_from_motion

            recommendation_from_motion(motion=motion, actor=actor)
    return motion


# --- Minutes ------------------------------------------------------------------------------------


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
        _("Présents : %(n)s membres sur %(active)s.") % {"n": len(present), "active": active}
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


def _check_minutes_approvable(session_id: int | None, *, at: Session) -> Minutes:
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
        at = _session_locked(at_session_id)
        if at.status != SessionStatus.OPEN:
            raise InvalidTransition(
                _("L'approbation se fait pendant une séance ouverte."), code="session_not_open"
            )
        minutes = _check_minutes_approvable(session_id, at=at)
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
    return minutes
