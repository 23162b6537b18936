"""The list of inadmissibility reasons staff keep. A reason already given to an initiative is part
of that initiative's public record: its code and wording no longer change (retire it and add a new
one instead); only whether it may still be chosen does. Every change is audited."""

from __future__ import annotations

from django.db import transaction
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _

from civic.audit import audit_record
from civic.errors import Conflict
from civic.models import User
from petitions.models import Initiative, RejectionReason

FIELDS = ("code", "label", "label_en", "active")


def rejection_reason_save(*, reason: RejectionReason, actor: User) -> RejectionReason:
    """Create or change a reason (the caller filled `reason`, unsaved)."""
    after = {k: getattr(reason, k) for k in FIELDS}
    with transaction.atomic():
        if reason.pk is None:
            reason.save()
            audit_record(
                actor=actor, verb="petitions.rejection_reason_create", target=reason, after=after
            )
            return reason
        current = RejectionReason.objects.select_for_update().get(pk=reason.pk)
        before = model_to_dict(current, fields=FIELDS)
        changed = sorted(k for k in FIELDS if after[k] != before[k])
        if not changed:
            return current
        if (
            set(changed) - {"active"}
            and Initiative.objects.filter(rejection_reason=current).exists()
        ):
            raise Conflict(
                _(
                    "Ce motif a déjà été opposé à une initiative : son texte ne change plus. "
                    "Retirez-le et créez-en un nouveau."
                ),
                code="rejection_reason_used",
            )
        reason.save(update_fields=changed)
        audit_record(
            actor=actor,
            verb="petitions.rejection_reason_change",
            target=reason,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
    return reason
