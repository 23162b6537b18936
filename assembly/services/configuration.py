"""What the clerk edits by hand: a mandate's settings, a session's date and place, an agenda item's
wording and length. Each edit is checked against the state it would change and
audited with what it was and what it became; the admin (and any other screen) calls these, never
`Model.save()`, so a staff edit cannot slip past the rules or the audit chain."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Final

from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from assembly.models import AgendaItem, MandateStatus, Session, SourceKind
from assembly.services.common import mandate_locked, session_locked
from assembly.services.sessions import agenda_minutes_used
from assembly.workflow import AGENDA_OPEN
from civic.audit import audit_record
from civic.errors import Conflict, InvalidTransition, NotFound, RuleViolation
from civic.models import User

MANDATE_FIELDS: Final = (
    "title",
    "description",
    "starts_on",
    "ends_on",
    "size",
    "reserve_size",
    "eligibility",
    "quorum_percent",
    "rules_reference",
    "initiative_item_minutes",
    "agenda_publication_days",
)
# Who may be invited and how many seats there are were announced with the call for volunteers, and
# the quorum decides which votes count: none of them moves once the mandate leaves its draft.
MANDATE_FROZEN_AFTER_DRAFT: Final = frozenset(
    {"size", "reserve_size", "eligibility", "quorum_percent"}
)
SESSION_FIELDS: Final = ("title", "starts_at", "place", "capacity_minutes")
# Items the law or another instrument put on the agenda (an initiative's rung, a referendum's
# result) are the city's obligation: the clerk may shorten or reword them, not remove them.
BINDING_SOURCES: Final = frozenset({SourceKind.INITIATIVE, SourceKind.REFERENDUM_RESULT})


def _changes(obj: Model, fields: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    before = {k: getattr(obj, k) for k, v in fields.items() if getattr(obj, k) != v}
    return before, {k: fields[k] for k in before}


def mandate_change(*, mandate_id: int, actor: User, **fields: Any) -> bool:
    """Change a mandate's settings; returns whether anything changed."""
    unknown = set(fields) - set(MANDATE_FIELDS)
    if unknown:
        raise RuleViolation(_("Champ inconnu : %(f)s.") % {"f": ", ".join(sorted(unknown))})
    with transaction.atomic():
        mandate = mandate_locked(mandate_id)
        before, after = _changes(mandate, fields)
        if not after:
            return False
        if mandate.status == MandateStatus.CLOSED:
            raise InvalidTransition(
                _("Ce mandat est terminé : il ne change plus."), code="mandate_closed"
            )
        frozen = sorted(MANDATE_FROZEN_AFTER_DRAFT & set(after))
        if frozen and mandate.status != MandateStatus.DRAFT:
            raise Conflict(
                _(
                    "Le nombre de sièges, la réserve, le public tiré au sort et le quorum sont "
                    "figés depuis l'appel aux volontaires."
                ),
                code="mandate_frozen",
            )
        starts: date = after.get("starts_on", mandate.starts_on)
        ends: date = after.get("ends_on", mandate.ends_on)
        if ends <= starts:
            raise RuleViolation(_("La fin du mandat doit suivre son début."), code="invalid_dates")
        for key, value in after.items():
            setattr(mandate, key, value)
        mandate.save(update_fields=list(after))
        audit_record(
            actor=actor, verb="assembly.mandate_change", target=mandate, before=before, after=after
        )
    return True


def _session_editable(session: Session) -> None:
    if session.status not in AGENDA_OPEN:
        raise InvalidTransition(
            _("La séance est « %(status)s » : elle ne change plus.")
            % {"status": session.get_status_display()},
            code="session_frozen",
        )


def session_change(
    *,
    session_id: int,
    actor: User,
    title: str,
    starts_at: datetime,
    place: str,
    capacity_minutes: int,
) -> bool:
    """Move, rename or resize a session before it opens; returns whether anything changed. The
    session cannot shrink below the minutes its agenda already holds."""
    fields = {
        "title": title,
        "starts_at": starts_at,
        "place": place,
        "capacity_minutes": capacity_minutes,
    }
    with transaction.atomic():
        session = session_locked(session_id)
        before, after = _changes(session, fields)
        if not after:
            return False
        _session_editable(session)
        used = agenda_minutes_used(session)
        if capacity_minutes < used:
            raise Conflict(
                _("L'ordre du jour occupe déjà %(used)s minutes.") % {"used": used},
                code="capacity_below_agenda",
            )
        for key, value in after.items():
            setattr(session, key, value)
        session.save(update_fields=list(after))
        audit_record(
            actor=actor, verb="assembly.session_change", target=session, before=before, after=after
        )
    return True


def _item_locked(item_id: int) -> tuple[AgendaItem, Session]:
    session_id = AgendaItem.objects.filter(pk=item_id).values_list("session_id", flat=True).first()
    if session_id is None:
        raise NotFound(_("Ce point de l'ordre du jour n'existe pas."))
    session = session_locked(session_id)  # the session's lock orders every agenda write
    item = AgendaItem.objects.get(pk=item_id)
    _session_editable(session)
    return item, session


def agenda_item_change(
    *, item_id: int, actor: User, title: str, description: str, duration_minutes: int
) -> bool:
    """Reword or resize an agenda item while the agenda is open; returns whether anything changed."""
    if duration_minutes < 1:
        raise RuleViolation(_("La durée doit être positive."), code="invalid_duration")
    fields = {
        "title": title[:255],
        "description": description,
        "duration_minutes": duration_minutes,
    }
    with transaction.atomic():
        item, session = _item_locked(item_id)
        before, after = _changes(item, fields)
        if not after:
            return False
        used = agenda_minutes_used(session) - item.duration_minutes + duration_minutes
        if used > session.capacity_minutes:
            raise Conflict(_("La séance n'a plus assez de temps disponible."), code="session_full")
        for key, value in after.items():
            setattr(item, key, value)
        item.save(update_fields=list(after))
        audit_record(
            actor=actor, verb="assembly.agenda_change", target=item, before=before, after=after
        )
    return True


def agenda_item_delete(*, item_id: int, actor: User) -> None:
    """Take an item off an open agenda, unless it is there by law or by another instrument."""
    with transaction.atomic():
        item, _session = _item_locked(item_id)
        if item.source_kind in BINDING_SOURCES or item.obligation_id is not None:
            raise Conflict(
                _(
                    "Ce point est inscrit au titre d'une obligation de la ville : il ne peut "
                    "pas être retiré."
                ),
                code="binding_item",
            )
        audit_record(
            actor=actor,
            verb="assembly.agenda_delete",
            target=item,
            before={"title": item.title, "minutes": item.duration_minutes},
        )
        item.delete()
