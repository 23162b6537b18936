"""Absence notices: an active member tells the clerk, before a session opens, that they will not
attend, and may take it back until it opens. The clerk sees the notices beside the attendance; the
quorum still counts who is present in the room, never who announced what."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assembly.models import AbsenceNotice, Member, MemberStatus, SessionStatus
from assembly.services.common import session_locked
from civic.audit import audit_record
from civic.errors import InvalidTransition, PermissionDenied
from civic.models import User

# Members learn of a session when its agenda is published; once it opens, the clerk records who
# is in the room.
NOTICE_OPEN = frozenset({SessionStatus.PUBLISHED})


def member_of(user: User, *, mandate_id: int | None = None) -> Member | None:
    """The account's active seat (in `mandate_id` when given), through its register entry."""
    if not user.is_authenticated or user.register_entry_id is None:
        return None
    qs = Member.objects.select_related("mandate").filter(
        status=MemberStatus.ACTIVE, volunteer__register_entry_id=user.register_entry_id
    )
    if mandate_id is not None:
        qs = qs.filter(mandate_id=mandate_id)
    return qs.order_by("-joined_at").first()


def _member_for_session(user: User, session_id: int) -> tuple[Member, int]:
    session = session_locked(session_id)
    member = member_of(user, mandate_id=session.mandate_id)
    if member is None:
        raise PermissionDenied(
            _("Seuls les membres de l'assemblée peuvent annoncer une absence."), code="not_a_member"
        )
    if session.status not in NOTICE_OPEN:
        raise InvalidTransition(
            _("Une absence s'annonce avant l'ouverture de la séance."), code="absence_closed"
        )
    return member, session.pk


def absence_notify(*, session_id: int, user: User, reason: str = "") -> AbsenceNotice:
    """Record the notice (a second one updates the reason). The audit entry says who and when,
    never why: the reason may be about health or family."""
    with transaction.atomic():
        member, pk = _member_for_session(user, session_id)
        now = timezone.now()
        try:
            with transaction.atomic():
                notice = AbsenceNotice.objects.create(
                    session_id=pk, member=member, reason=reason.strip()[:200], notified_at=now
                )
        except IntegrityError:
            notice = AbsenceNotice.objects.get(session_id=pk, member=member)
            notice.reason = reason.strip()[:200]
            notice.save(update_fields=["reason"])
            return notice
        audit_record(
            actor=user,
            verb="assembly.absence_notify",
            target=notice,
            after={"session": pk, "member": member.pk},
        )
    return notice


def absence_withdraw(*, session_id: int, user: User) -> bool:
    """Take a notice back before the session opens; False when there was none."""
    with transaction.atomic():
        member, pk = _member_for_session(user, session_id)
        notice = AbsenceNotice.objects.filter(session_id=pk, member=member).first()
        if notice is None:
            return False
        audit_record(
            actor=user,
            verb="assembly.absence_withdraw",
            target=notice,
            before={"session": pk, "member": member.pk},
        )
        notice.delete()
    return True
