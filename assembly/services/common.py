"""Row locks and transitions shared by the services: a mandate's, a session's."""

from __future__ import annotations

from django.utils.translation import gettext as _

from assembly.models import Mandate, Session
from assembly.workflow import MANDATE, SESSION, may_move
from civic.errors import InvalidTransition, NotFound


def session_locked(session_id: int) -> Session:
    try:
        return (
            Session.objects.select_for_update(of=("self",))
            .select_related("mandate")
            .get(pk=session_id)
        )
    except Session.DoesNotExist:
        raise NotFound(_("Cette séance n'existe pas.")) from None


def session_move(session: Session, target: str) -> None:
    if not may_move(SESSION, session.status, target):
        raise InvalidTransition(
            _("La séance est « %(status)s » : cette étape n'est pas possible.")
            % {"status": session.get_status_display()}
        )
    session.status = target


def mandate_locked(mandate_id: int) -> Mandate:
    try:
        return Mandate.objects.select_for_update(of=("self",)).get(pk=mandate_id)
    except Mandate.DoesNotExist:
        raise NotFound(_("Ce mandat n'existe pas.")) from None


def mandate_move(mandate: Mandate, target: str) -> None:
    if not may_move(MANDATE, mandate.status, target):
        raise InvalidTransition(
            _("Le mandat est « %(status)s » : cette étape n'est pas possible.")
            % {"status": mandate.get_status_display()}
        )
    mandate.status = target
