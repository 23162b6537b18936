"""Sessions: creation, agenda items, publication, reminders, opening and closing (which announces
the initiatives examined). Requests from the other instruments are placed by `agenda_requests`."""

from __future__ import annotations

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
    AgendaRequest,
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
from civic.events import publish
from civic.models import User, WebhookEvent
from civic.notifications import notify
from civic.webhooks import webhook_emit


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
        publish("assembly.agenda_published", session_id=session.pk, mandate_id=session.mandate_id)
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
        _examined_items_announce(session, actor=actor)
    return session


def _examined_items_announce(session: Session, *, actor: User) -> None:
    """The items this closing session examined: the requests they came from are answered, and each
    initiative's petitions obligation is announced as met (petitions completes it, with the clerk
    as the accountable actor)."""
    now = timezone.now()
    for kind in (SourceKind.INITIATIVE, SourceKind.REFERENDUM_RESULT):
        AgendaRequest.objects.filter(
            source_kind=kind,
            source_id__in=session.agenda_items.filter(source_kind=kind).values("source_id"),
            examined_at__isnull=True,
        ).update(examined_at=now)
    items = session.agenda_items.filter(
        source_kind=SourceKind.INITIATIVE, obligation_id__isnull=False
    ).order_by("position", "id")
    for item in items:
        publish(
            "assembly.agenda_item_examined",
            obligation_id=item.obligation_id,
            initiative_id=item.source_id,
            evidence_url=reverse("assembly:session", args=[session.pk]) + f"#item-{item.pk}",
            actor_id=actor.pk,
        )
