"""The desk's queue of near-miss verifications: closing a request without verifying the account.

Verifying at the desk closes the request too (civic.services.verification.resident_verify_at_desk);
here the agent closes it for a reason of a fixed list, with a note the resident reads. The resident
is told why and what to do next; the request leaves the queue; the closing is audited."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civic.audit import audit_record
from civic.errors import Conflict, DomainError, NotFound, PermissionDenied
from civic.models import DeskCloseReason, DeskRequest, DeskRequestOutcome, User
from civic.notifications import notify
from civic.roles import Role, has_role

# The roles that work the desk (the same as the verification at the desk).
DESK_ROLES: tuple[str, ...] = (Role.ADMINISTRATOR, Role.MODERATOR)
NOTE_MAX = 500

# What the resident can do next, for each reason (the notification says it).
NEXT_STEP = {
    DeskCloseReason.NOT_ON_REGISTER: _(
        "Si vous venez de vous inscrire sur la liste électorale ou au registre des résidents, "
        "attendez la prochaine mise à jour du registre, puis vérifiez de nouveau votre compte."
    ),
    DeskCloseReason.DOCUMENT_MISSING: _(
        "Présentez-vous au guichet de la mairie avec une pièce d'identité, puis vérifiez de "
        "nouveau votre compte."
    ),
    DeskCloseReason.IDENTITY_MISMATCH: _(
        "Présentez-vous au guichet de la mairie avec la pièce d'identité de la personne "
        "titulaire du compte."
    ),
    DeskCloseReason.NOT_RESIDENT: _(
        "Seuls les habitants de la commune et les électeurs inscrits peuvent participer. "
        "Vous pouvez toujours suivre les initiatives et les votes."
    ),
    DeskCloseReason.DUPLICATE: _("Une autre demande est traitée pour vous : rien à faire."),
    DeskCloseReason.WITHDRAWN: _(
        "Vous pouvez demander de nouveau la vérification depuis « Vérifier mon compte »."
    ),
}
SUBJECT = pgettext_lazy("notification", "Votre demande de vérification est close")


def desk_request_close(*, agent: User, request_id: int, reason: str, note: str = "") -> DeskRequest:
    """Close an open desk request without verifying: `reason` from DeskCloseReason, `note` (shown
    to the resident, at most NOTE_MAX characters). Refuses a non-desk agent, an unknown request,
    a closed one, a missing or unknown reason and a note too long, each with its code."""
    if not has_role(agent, *DESK_ROLES):
        raise PermissionDenied(_("Seul le personnel du guichet peut clore une demande."))
    note = (note or "").strip()
    _check_input(reason=reason, note=note)
    with transaction.atomic():
        desk_request = (
            DeskRequest.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=request_id)
            .first()
        )
        if desk_request is None:
            raise NotFound(_("Demande introuvable."), code="desk_request_not_found")
        if desk_request.closed_at is not None:
            raise Conflict(_("Cette demande est déjà close."), code="desk_request_closed")
        desk_request.closed_at = timezone.now()
        desk_request.closed_by = agent
        desk_request.outcome = DeskRequestOutcome.CLOSED
        desk_request.close_reason = reason
        desk_request.close_note = note
        desk_request.save(
            update_fields=["closed_at", "closed_by", "outcome", "close_reason", "close_note"]
        )
        audit_record(
            actor=agent,
            verb="desk_request.close",
            target=desk_request,
            before={"outcome": ""},
            after={"outcome": DeskRequestOutcome.CLOSED, "reason": reason, "note": bool(note)},
        )
        _tell_resident(desk_request)
    return desk_request


def _check_input(*, reason: str, note: str) -> None:
    if not reason:
        raise DomainError(_("Choisissez le motif de la clôture."), code="reason_required")
    if reason not in DeskCloseReason.values:
        raise DomainError(_("Ce motif n'existe pas."), code="reason_unknown")
    if len(note) > NOTE_MAX:
        raise DomainError(
            _("La note au résident dépasse %(n)s caractères.") % {"n": NOTE_MAX},
            code="note_too_long",
        )


def _tell_resident(desk_request: DeskRequest) -> None:
    resident = desk_request.user
    with translation.override(resident.language or settings.LANGUAGE_CODE):
        subject, body, url = str(SUBJECT), _notice_body(desk_request), reverse("verify")
    notify(recipient=resident, kind="desk_request_closed", subject=subject, body=body, url=url)


def _notice_body(desk_request: DeskRequest) -> str:
    reason = DeskCloseReason(desk_request.close_reason)
    parts = [
        str(
            _(
                "Le guichet de la mairie a clos votre demande de vérification sans vérifier votre "
                "compte. Motif : %(reason)s."
            )
            % {"reason": reason.label}
        ),
        str(NEXT_STEP[reason]),
    ]
    if desk_request.close_note:
        parts.append(str(_("Note du guichet : %(note)s") % {"note": desk_request.close_note}))
    return "\n\n".join(parts)
