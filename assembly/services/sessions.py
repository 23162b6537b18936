"""Sessions: creation, agenda (staff items, initiatives placed once, referendum results),
publication, reminders, opening and closing."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from assembly.models import (
    AgendaItem,
    Mandate,
    MandateStatus,
    Member,
    MemberStatus,
    MotionStatus,
    Session,
    SessionStatus,
    SourceKind,
)
from assembly.services.common import session_locked, session_move
from assembly.services.minutes import minutes_draft
from assembly.workflow import AGENDA_OPEN
from civic.audit import audit_record
from civic.errors import Conflict, InvalidTransition, RuleViolation
from civic.models import User, WebhookEvent
from civic.notifications import notify
from civic.webhooks import webhook_emit

logger = logging.getLogger(__name__)


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
        session = session_locked(session_id)
        if session.status not in AGENDA_OPEN:
            raise InvalidTransition(
                _("L'ordre du jour de cette séance est clos."), code="agenda_closed"
            )
        used = agenda_minutes_used(session)
        if used + duration_minutes > session.capacity_minutes:
            raise Conflict(
                ngettext(
                    "La séance n'a plus assez de temps disponible (%(left)s minute).",
                    "La séance n'a plus assez de temps disponible (%(left)s minutes).",
                    session.capacity_minutes - used,
                )
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
        session = session_locked(session_id)
        if session.status != SessionStatus.PLANNED:
            return False
        session.status = SessionStatus.PUBLISHED
        session.agenda_published_at = timezone.now()
        session.save(update_fields=["status", "agenda_published_at"])
        audit_record(actor=actor, verb="assembly.agenda_publish", target=session)
        webhook_emit(
            event=WebhookEvent.ASSEMBLY_AGENDA,
            payload={
                "session_id": session.pk,
                "title": session.title,
                "starts_at": session.starts_at,
                "place": session.place,
                "url": settings.SITE_URL + reverse("assembly:session", args=[session.pk]),
            },
        )
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
        session = session_locked(session_id)
        session_move(session, SessionStatus.OPEN)
        session.opened_at = timezone.now()
        session.save(update_fields=["status", "opened_at"])
        audit_record(actor=actor, verb="assembly.session_open", target=session)
    return session


def session_close(*, session_id: int, actor: User) -> Session:
    with transaction.atomic():
        session = session_locked(session_id)
        if session.motions.filter(status=MotionStatus.OPEN).exists():
            raise Conflict(_("Un vote est encore ouvert."), code="vote_open")
        session_move(session, SessionStatus.CLOSED)
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
