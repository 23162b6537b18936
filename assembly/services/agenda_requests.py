"""Requests from the other instruments (an initiative's assembly rung, a referendum result): kept
in the assembly's own table when their event arrives, placed on the next session with room, once.

The periodic task `assembly.tasks.place_initiatives` places what is still waiting; it reads only
this app's tables. A request is answered when the session that examined its item closes.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Final

from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from assembly.models import (
    AgendaItem,
    AgendaRequest,
    InitiativePublication,
    Mandate,
    MandateStatus,
    Session,
    SourceKind,
)
from assembly.services.sessions import agenda_item_add
from assembly.withdrawn import withdrawn_title
from assembly.workflow import AGENDA_OPEN
from civic.audit import audit_record
from civic.errors import Conflict
from civic.models import User
from civic.notifications import notify

logger = logging.getLogger(__name__)

# A referendum result not placed within this long after its publication is no longer followed up
# on the agenda (the follow-up would come too late to matter).
RESULT_FOLLOW_UP_WINDOW: Final = timedelta(days=90)
# Another worker placed it, or filled or closed the session meanwhile: the next run tries again.
_PLACEMENT_RACES: Final = frozenset({"already_placed", "session_full", "agenda_closed"})


def agenda_request_record(
    *,
    source_kind: str,
    source_id: int,
    title: str,
    url: str,
    requested_at: datetime,
    obligation_id: int | None = None,
    initiator_user_ids: list[int] | None = None,
) -> AgendaRequest:
    """Keep the request, once per source (a repeated event finds the row already there). An
    initiative unpublished meanwhile (its publication event handled first) is kept under the
    label, as `agenda_source_moderated` would have set it; reinstating brings the title back."""
    if (
        source_kind == SourceKind.INITIATIVE
        and InitiativePublication.objects.filter(initiative_id=source_id, withdrawn=True).exists()
    ):
        title = withdrawn_title()
    request, _created = AgendaRequest.objects.get_or_create(
        source_kind=source_kind,
        source_id=source_id,
        defaults={
            "title": title[:255],
            "url": url[:500],
            "requested_at": requested_at,
            "obligation_id": obligation_id,
            "initiator_user_ids": list(initiator_user_ids or []),
        },
    )
    return request


def seated_mandate() -> Mandate | None:
    """The assembly in office: the latest seated mandate."""
    return Mandate.objects.filter(status=MandateStatus.SEATED).order_by("-starts_on", "-id").first()


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


def agenda_requests_waiting() -> list[AgendaRequest]:
    """Requests not yet examined, oldest first; a referendum result only within its window."""
    return list(
        AgendaRequest.objects.filter(examined_at__isnull=True)
        .exclude(
            source_kind=SourceKind.REFERENDUM_RESULT,
            requested_at__lt=timezone.now() - RESULT_FOLLOW_UP_WINDOW,
        )
        .order_by("requested_at", "id")
    )


def agenda_requests_place() -> int:
    """Place each waiting request on the next session with room of the seated assembly, once, and
    tell its initiators. Idempotent: the unique (mandate, kind, id) constraint of agenda items makes
    a second run (or a racing worker) a no-op. Returns the number of items placed."""
    mandate = seated_mandate()
    if mandate is None:
        return 0
    placed = 0
    for request in agenda_requests_waiting():
        outcome = _place(request, mandate)
        if outcome is None:
            break  # no session has room: the rest waits for the next session to be scheduled
        placed += outcome
    return placed


def agenda_request_place(*, request_id: int) -> bool:
    """Place one request now if the seated assembly has a session with room (its event's handler
    calls this); otherwise it waits for the periodic task. True when it was placed now."""
    mandate = seated_mandate()
    request = AgendaRequest.objects.filter(pk=request_id, examined_at__isnull=True).first()
    if mandate is None or request is None:
        return False
    return bool(_place(request, mandate))


def _place(request: AgendaRequest, mandate: Mandate) -> int | None:
    """1 when placed now, 0 when already placed (or lost a race), None when no session has room."""
    if AgendaItem.objects.filter(
        mandate=mandate, source_kind=request.source_kind, source_id=request.source_id
    ).exists():
        return 0
    minutes = mandate.initiative_item_minutes
    session = next_session_with_room(mandate, minutes)
    if session is None:
        logger.info("assembly: no session with room for %s", request)
        return None
    try:
        with transaction.atomic():
            item = agenda_item_add(
                session_id=session.pk,
                actor=None,
                title=request.title,
                duration_minutes=minutes,
                source_kind=request.source_kind,
                source_id=request.source_id,
                source_url=request.url,
                obligation_id=request.obligation_id,
            )
            AgendaRequest.objects.filter(pk=request.pk).update(
                placed_item=item, placed_at=timezone.now()
            )
            _tell_initiators(request, session=session, item=item)
    except Conflict as exc:
        if exc.code in _PLACEMENT_RACES:
            return 0
        raise
    return 1


def _tell_initiators(request: AgendaRequest, *, session: Session, item: AgendaItem) -> None:
    url = reverse("assembly:session", args=[session.pk]) + f"#item-{item.pk}"
    for user in User.objects.filter(pk__in=list(request.initiator_user_ids), is_active=True):
        notify(
            recipient=user,
            kind="assembly.initiative_on_agenda",
            subject=_("Votre initiative est inscrite à l'ordre du jour de l'assemblée citoyenne"),
            body=_(
                "L'initiative « %(title)s » sera examinée lors de la séance « %(session)s » du %(date)s."
            )
            % {
                "title": request.title,
                "session": session.title,
                "date": timezone.localtime(session.starts_at).strftime("%d/%m/%Y %H:%M"),
            },
            url=url,
        )


def _newer_publication(*, initiative_id: int, withdrawn: bool, change_id: int) -> bool:
    """Record the initiative's publication as of `change_id` if no later change was applied;
    False for a stale stamp (a repeated delivery, or an older change handled after a newer one).
    The kept row is locked: two workers told of the same initiative take their turn."""
    InitiativePublication.objects.get_or_create(
        initiative_id=initiative_id,
        defaults={"change_id": 0, "withdrawn": False, "updated_at": timezone.now()},
    )
    kept = InitiativePublication.objects.select_for_update().get(initiative_id=initiative_id)
    if change_id <= kept.change_id:
        return False
    kept.change_id, kept.withdrawn, kept.updated_at = change_id, withdrawn, timezone.now()
    kept.save(update_fields=["change_id", "withdrawn", "updated_at"])
    return True


def agenda_source_moderated(
    *, initiative_id: int, withdrawn: bool, title: str, change_id: int
) -> int:
    """Follow an initiative's publication on the assembly's items and waiting requests (see
    `assembly.withdrawn`), as of the petitions' change `change_id` (the event's ordering stamp):
    a change not later than the last one applied is ignored, so events handled out of order or
    delivered again never bring back an older state. Returns how many items changed."""
    label = withdrawn_title()
    items = AgendaItem.objects.filter(source_kind=SourceKind.INITIATIVE, source_id=initiative_id)
    waiting = AgendaRequest.objects.filter(
        source_kind=SourceKind.INITIATIVE, source_id=initiative_id, placed_item__isnull=True
    )
    changed = 0
    with transaction.atomic():
        if not _newer_publication(
            initiative_id=initiative_id, withdrawn=withdrawn, change_id=change_id
        ):
            logger.info(
                "assembly: stale publication change %s for initiative %s ignored",
                change_id,
                initiative_id,
            )
            return 0
        for item in items.select_for_update():
            if withdrawn == (item.title == label):
                continue
            if withdrawn:
                AgendaRequest.objects.filter(placed_item=item).update(title=item.title)
                item.title = label
            else:
                kept = AgendaRequest.objects.filter(placed_item=item).values_list(
                    "title", flat=True
                )
                item.title = next((t for t in kept if t and t != label), title)[:255]
            item.save(update_fields=["title"])
            audit_record(
                actor=None,
                verb="assembly.agenda_item_withdrawn"
                if withdrawn
                else "assembly.agenda_item_restored",
                target=item,
            )
            changed += 1
        if withdrawn:
            waiting.update(title=label)
        else:
            waiting.filter(title=label).update(title=title[:255])
    return changed
