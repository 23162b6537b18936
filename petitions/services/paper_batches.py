"""Printed batches of paper signature forms: issuing one (a code, audited), and reading a code
back at paper entry. A code that is malformed, unknown or another initiative's is refused with its
own error code before anything is written."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.audit import audit_record
from civic.errors import Conflict, DomainError, NotFound, PermissionDenied
from civic.models import User
from petitions import batch_code
from petitions.models import PaperBatch, Status
from petitions.models.paper import MAX_SHEETS
from petitions.rules import is_moderator
from petitions.services._common import lock_initiative

PRINTABLE = frozenset({Status.IN_REVIEW, Status.COLLECTING})


def require_paper_staff(actor: User) -> None:
    """Who prints forms is who enters them: the moderators (and administrators)."""
    if not is_moderator(actor):
        raise PermissionDenied(
            _("Les formulaires et la saisie papier sont réservés aux modérateurs."),
            code="paper_staff_only",
        )


def paper_batch_issue(*, initiative_id: int, actor: User, sheets: int) -> PaperBatch:
    """A new batch of `sheets` forms for an initiative under review (printed ahead of the opening)
    or collecting; its code is random, unique, and carries a check symbol."""
    require_paper_staff(actor)
    if not 1 <= sheets <= MAX_SHEETS:
        raise DomainError(
            _("Le nombre de feuilles va de 1 à %(max)d.") % {"max": MAX_SHEETS},
            code="paper_batch_sheets_range",
        )
    with transaction.atomic():
        initiative = lock_initiative(initiative_id)
        if initiative.status not in PRINTABLE:
            raise Conflict(
                _("On n'imprime des formulaires que pour une initiative en examen ou en collecte."),
                code="paper_batch_not_printable",
            )
        batch = _create(initiative.pk, actor, sheets)
        audit_record(
            actor=actor,
            verb="paper_batch.issued",
            target=batch,
            after={"initiative_id": initiative.pk, "code": batch.code, "sheets": sheets},
        )
    return batch


def _create(initiative_id: int, actor: User, sheets: int) -> PaperBatch:
    for _attempt in range(5):  # 2^50 codes: a collision is all but impossible, never silent
        try:
            with transaction.atomic():
                return PaperBatch.objects.create(
                    initiative_id=initiative_id,
                    code=batch_code.new_code(),
                    sheets=sheets,
                    issued_at=timezone.now(),
                    issued_by=actor,
                )
        except IntegrityError:
            continue
    raise Conflict(_("Aucun code de lot libre : réessayez."), code="paper_batch_code_taken")


def paper_batch_for_entry(*, initiative_id: int, text: str) -> PaperBatch:
    """The batch named by `text` (a typed code, or the form's QR address), which must belong to
    this initiative."""
    code = batch_code.parse(text)
    if code is None:
        raise DomainError(
            _(
                "Code de lot mal formé : 11 caractères, comme K7QM-2XWD-9TA ; vérifiez la saisie (le dernier caractère est une clé de contrôle)."
            ),
            code="paper_batch_code_malformed",
        )
    batch = PaperBatch.objects.filter(code=code).only("id", "initiative_id", "code").first()
    if batch is None:
        raise NotFound(
            _("Aucun lot imprimé ne porte le code %(code)s.") % {"code": code},
            code="paper_batch_unknown",
        )
    if batch.initiative_id != initiative_id:
        raise Conflict(
            _(
                "Le lot %(code)s a été imprimé pour une autre initiative : saisissez ces feuilles sur la page de celle-ci."
            )
            % {"code": code},
            code="paper_batch_other_initiative",
        )
    return batch
