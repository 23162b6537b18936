"""Staff edits of instrument types and their ladders: validated against the law, frozen while an
initiative collects on the instrument, audited.

An open initiative copies its rungs when collection opens (`TrackRung`), but reads its instrument's
rules (who may sign, the quarter limit) as they are: a change while it collects would move the rules
under the signers' feet, and deleting a copied rung cannot succeed. So while any initiative
collects on an instrument, its ladder and rules are frozen, here and by a trigger in the database
(petitions migration 0009) whatever the path. Names and descriptions stay editable.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _

from civic.audit import audit_record
from civic.errors import Conflict, NotFound, RuleViolation
from civic.models import User
from petitions.law import instrument_type_violations, rung_violations
from petitions.models import InitiativeTrack, InstrumentType, Rung, Status, TrackRung

# The instrument's rules that an open initiative reads as they are (the trigger lists the same).
FROZEN_FIELDS = (
    "legal_regime",
    "collectivity",
    "predicate",
    "window_days",
    "quarter_limit",
    "quarter_limit_rule",
)
_RUNG_FIELDS = (
    "order",
    "kind",
    "absolute_value",
    "numerator",
    "denominator",
    "obligation_kind",
    "obligation_text",
    "obligation_text_en",
    "due_days",
)


def instrument_collecting(instrument_id: int) -> bool:
    """Whether an initiative collects on this instrument now."""
    return InitiativeTrack.objects.filter(
        instrument_type_id=instrument_id, initiative__status=Status.COLLECTING
    ).exists()


def _frozen() -> Conflict:
    return Conflict(
        _(
            "Une initiative est en collecte sur cet instrument : son échelle et ses règles sont figées."
        ),
        code="ladder_frozen",
    )


def _locked(instrument_id: int) -> InstrumentType:
    try:
        return InstrumentType.objects.select_for_update().get(pk=instrument_id)
    except InstrumentType.DoesNotExist:
        raise NotFound(_("Cet instrument n'existe pas.")) from None


def _valid(obj: InstrumentType | Rung) -> None:
    try:
        if isinstance(obj, InstrumentType):
            instrument_type_violations(obj)
        else:
            rung_violations(obj)
    except ValidationError as exc:
        raise RuleViolation("; ".join(exc.messages), code="law_violation") from None


def instrument_type_save(*, instrument: InstrumentType, actor: User) -> InstrumentType:
    """Create or change an instrument type (the caller filled `instrument`, unsaved)."""
    _valid(instrument)
    fields = {k: v for k, v in model_to_dict(instrument).items() if k != "id"}
    with transaction.atomic():
        if instrument.pk is None:
            instrument.save()
            audit_record(
                actor=actor, verb="petitions.instrument_create", target=instrument, after=fields
            )
            return instrument
        current = _locked(instrument.pk)
        before = {k: v for k, v in model_to_dict(current).items() if k != "id"}
        changed = sorted(k for k in fields if fields[k] != before.get(k))
        if not changed:
            return current
        if any(k in FROZEN_FIELDS for k in changed) and instrument_collecting(instrument.pk):
            raise _frozen()
        instrument.save()
        audit_record(
            actor=actor,
            verb="petitions.instrument_change",
            target=instrument,
            before={k: before.get(k) for k in changed},
            after={k: fields[k] for k in changed},
        )
    return instrument


def _rung_values(rung: Rung) -> dict[str, Any]:
    return {f: getattr(rung, f) for f in _RUNG_FIELDS}


def rung_save(*, rung: Rung, actor: User) -> Rung:
    """Add or change one rung of an instrument's ladder (the caller filled `rung`, unsaved)."""
    _valid(rung)
    with transaction.atomic():
        _locked(rung.instrument_type_id)  # rungs of one instrument change one at a time
        if instrument_collecting(rung.instrument_type_id):
            raise _frozen()
        before = None
        if rung.pk is not None:
            current = Rung.objects.filter(pk=rung.pk).first()
            before = _rung_values(current) if current is not None else None
            if before == _rung_values(rung):
                return rung
        rung.save()
        audit_record(
            actor=actor,
            verb="petitions.rung_change" if before is not None else "petitions.rung_add",
            target=rung,
            before=before,
            after=_rung_values(rung),
        )
    return rung


def rung_delete(*, rung_id: int, actor: User) -> None:
    with transaction.atomic():
        rung = Rung.objects.filter(pk=rung_id).first()
        if rung is None:
            raise NotFound(_("Ce palier n'existe pas."))
        _locked(rung.instrument_type_id)
        if instrument_collecting(rung.instrument_type_id):
            raise _frozen()
        if TrackRung.objects.filter(rung_id=rung_id).exists():
            raise Conflict(
                _("Ce palier a servi à une initiative : il ne peut plus être supprimé."),
                code="rung_in_use",
            )
        before = _rung_values(rung)
        rung.delete()
        audit_record(
            actor=actor,
            verb="petitions.rung_delete",
            target=("petitions.rung", rung_id),
            before=before,
        )
