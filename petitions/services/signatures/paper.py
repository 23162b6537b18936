"""Staff enter one line of a paper form: a signature, or a row in the register of rejections."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.audit import audit_record
from civic.errors import NotEligible, PermissionDenied, RuleViolation
from civic.identity import identity_hash as compute_identity_hash
from civic.models import RegisterEntry, User
from petitions.models import (
    Channel,
    PaperBatchSignature,
    PaperRejection,
    PaperRejectionReason,
)
from petitions.rules import is_moderator
from petitions.selectors import count_version_bump
from petitions.services.paper_batches import paper_batch_for_entry
from petitions.services.signatures.record import Recorded, record
from petitions.services.signatures.state import TrackInfo, require_open, signing_state


@dataclass(frozen=True)
class PaperOutcome:
    accepted: bool
    reason: str | None = None
    signature_id: int | None = None
    rejection_id: int | None = None
    tracks: list[str] = field(default_factory=list)


def _find_entry(
    *,
    register_entry_id: int | None,
    last_name: str | None,
    first_names: str | None,
    birth_date: date | None,
) -> RegisterEntry | None:
    if register_entry_id is not None:
        return RegisterEntry.objects.filter(pk=register_entry_id).first()
    if last_name and first_names and birth_date:
        digest = compute_identity_hash(
            last_name=last_name, first_names=first_names, birth_date=birth_date
        )
        return RegisterEntry.objects.filter(identity_hash=digest, active=True).first()
    return None


def _try_record(
    *,
    initiative_id: int,
    entry: RegisterEntry | None,
    tracks: list[TrackInfo],
    now: datetime,
    actor: User,
) -> tuple[Recorded | None, str | None]:
    """(the new signature, None), or (None, the rejection reason)."""
    if entry is None:
        return None, PaperRejectionReason.NOT_ON_REGISTER
    try:
        recorded = record(
            initiative_id=initiative_id,
            entry=entry,
            tracks=tracks,
            channel=Channel.PAPER,
            now=now,
            entered_by=actor,
        )
    except NotEligible:
        return None, PaperRejectionReason.NOT_ELIGIBLE
    except RuleViolation:
        return None, PaperRejectionReason.QUARTER_LIMIT
    if recorded.signature_id is None:
        return None, PaperRejectionReason.DUPLICATE
    return recorded, None


def paper_signature_enter(
    *,
    initiative_id: int,
    actor: User,
    register_entry_id: int | None = None,
    last_name: str | None = None,
    first_names: str | None = None,
    birth_date: date | None = None,
    sheet_ref: str = "",
    batch_code: str = "",
) -> PaperOutcome:
    """Staff enter one line of a paper form. Found and eligible: a signature (channel "paper");
    otherwise a row in the register of rejections with its reason. Both are audited, and attached
    to the printed batch named by `batch_code` (refused, nothing written, if it is malformed,
    unknown or another initiative's)."""
    if not is_moderator(actor):
        raise PermissionDenied(_("La saisie des signatures papier est réservée aux modérateurs."))
    state = signing_state(initiative_id, fresh=True)
    now = timezone.now()
    require_open(state, now)
    batch = (
        paper_batch_for_entry(initiative_id=initiative_id, text=batch_code)
        if batch_code.strip()
        else None
    )
    batch_fact = {"batch": batch.code} if batch else {}
    entry = _find_entry(
        register_entry_id=register_entry_id,
        last_name=last_name,
        first_names=first_names,
        birth_date=birth_date,
    )
    with transaction.atomic():
        recorded, reason = _try_record(
            initiative_id=initiative_id, entry=entry, tracks=state.tracks, now=now, actor=actor
        )
        if recorded is not None:
            assert recorded.signature_id is not None
            if batch is not None:
                PaperBatchSignature.objects.create(
                    signature_id=recorded.signature_id, batch=batch, sheet_ref=sheet_ref
                )
            audit_record(
                actor=actor,
                verb="signature.paper_entered",
                target=("petitions.signature", recorded.signature_id),
                after={"initiative_id": initiative_id, "sheet_ref": sheet_ref, **batch_fact},
            )
            return PaperOutcome(
                True,
                signature_id=recorded.signature_id,
                tracks=[t.slug for t in recorded.plan.tracks],
            )
        assert reason is not None
        rejection = PaperRejection.objects.create(
            initiative_id=initiative_id,
            reason=reason,
            sheet_ref=sheet_ref,
            register_entry=entry,
            entered_by=actor,
            created_at=now,
            batch=batch,
        )
        transaction.on_commit(count_version_bump)  # the page lists the rejections
        audit_record(
            actor=actor,
            verb="signature.paper_rejected",
            target=rejection,
            after={
                "initiative_id": initiative_id,
                "reason": reason,
                "sheet_ref": sheet_ref,
                **batch_fact,
            },
        )
        return PaperOutcome(False, reason=reason, rejection_id=rejection.pk)
