"""Row locks and transitions shared by the session services."""

from __future__ import annotations

from django.utils.translation import gettext as _

from assembly.models import (
    Session,
)
from assembly.workflow import SESSION, may_move
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
