"""Striking an entry off the register, and reversing a strike-off (CIVIC-RULES, "Strike-offs").

A strike-off is dated and audited, and it is reversible: the reversal is audited too and the entry
becomes eligible again from then on. From the strike-off on, the person can no longer sign, vote,
verify an account or be drawn (`RegisterEntry.active` is what every eligibility check reads, the
signing and voting statements included). What happens to the signatures already made follows the
reason: a person who left the roll keeps them (they were on it when signing); an annulled
registration loses them, with the public reason "registration annulled" (the petitions app does it
on the event `civic.registration_annulled`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.audit import audit_record
from civic.errors import Conflict, NotFound, RuleViolation
from civic.events import publish
from civic.models import RegisterEntry, RegisterImport, RegisterStrikeOff, StrikeOffReason, User

RULE = "CIVIC-RULES, radiations"


def _entry_locked(entry_id: int) -> RegisterEntry:
    try:
        return RegisterEntry.objects.select_for_update(of=("self",)).get(pk=entry_id)
    except RegisterEntry.DoesNotExist:
        raise NotFound(_("Cette inscription n'existe pas.")) from None


def register_strike_off(
    *, entry_id: int, actor: User | None, reason: str, note: str = "", at: datetime | None = None
) -> RegisterStrikeOff:
    """Strike one entry off. Conflict if it is already struck off."""
    if reason not in StrikeOffReason.values:
        raise RuleViolation(_("Motif de radiation inconnu."), code="invalid_strike_off_reason")
    with transaction.atomic():
        entry = _entry_locked(entry_id)
        if not entry.active:
            raise Conflict(_("Cette inscription est déjà radiée."), code="already_struck_off")
        record = _strike(
            [entry.pk], actor=actor, reason=reason, note=note, at=at or timezone.now()
        )[0]
        audit_record(
            actor=actor,
            verb="register.strike_off",
            target=entry,
            after={"strike_off": record.pk, "reason": reason, "at": record.struck_off_at},
        )
    return record


def _strike(
    entry_ids: Sequence[int],
    *,
    actor: User | None,
    reason: str,
    note: str,
    at: datetime,
    register_import: RegisterImport | None = None,
) -> list[RegisterStrikeOff]:
    """Strike the given active entries off at `at` (the caller holds their rows or the import's
    transaction). Entries struck off meanwhile are skipped: the guarded UPDATE is the judge."""
    struck = list(
        RegisterEntry.objects.filter(pk__in=entry_ids, active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    RegisterEntry.objects.filter(pk__in=struck, active=True).update(
        active=False, struck_off_at=at, struck_off_reason=reason, updated_at=timezone.now()
    )
    records = RegisterStrikeOff.objects.bulk_create(
        RegisterStrikeOff(
            entry_id=pk,
            struck_off_at=at,
            reason=reason,
            note=note[:255],
            register_import=register_import,
            actor=actor,
        )
        for pk in struck
    )
    if reason == StrikeOffReason.ANNULLED:
        for pk in struck:
            publish("civic.registration_annulled", register_entry_id=pk, at=at.isoformat())
    return records


def register_strike_off_many(
    entry_ids: Sequence[int], *, actor: User | None, register_import: RegisterImport, at: datetime
) -> list[RegisterStrikeOff]:
    """The import's strike-offs of everyone who left the roll, inside the import's transaction;
    the import audits them as one entry."""
    return _strike(
        entry_ids,
        actor=actor,
        reason=StrikeOffReason.LEFT_ROLL,
        note=_("Absent·e du fichier importé"),
        at=at,
        register_import=register_import,
    )


def register_strike_off_reverse(
    *, strike_off_id: int, actor: User | None, note: str = ""
) -> RegisterStrikeOff:
    """Reverse a strike-off in force: the entry is eligible again from now on. Signatures removed
    by an annulment are not restored (the count they left is public); the person may sign again
    where collection is still open."""
    with transaction.atomic():
        try:
            entry_id = RegisterStrikeOff.objects.values_list("entry_id", flat=True).get(
                pk=strike_off_id
            )
        except RegisterStrikeOff.DoesNotExist:
            raise NotFound(_("Cette radiation n'existe pas.")) from None
        entry = _entry_locked(entry_id)  # the entry first, as every strike-off does
        record = RegisterStrikeOff.objects.select_for_update().get(pk=strike_off_id)
        if record.reversed_at is not None:
            raise Conflict(_("Cette radiation est déjà annulée."), code="strike_off_reversed")
        now = timezone.now()
        record.reversed_at, record.reversed_by, record.reversal_note = now, actor, note[:255]
        record.save(update_fields=["reversed_at", "reversed_by", "reversal_note"])
        RegisterEntry.objects.filter(pk=entry.pk).update(
            active=True, struck_off_at=None, struck_off_reason="", updated_at=now
        )
        audit_record(
            actor=actor,
            verb="register.strike_off_reverse",
            target=entry,
            before={"strike_off": record.pk, "reason": record.reason},
            after={"reversed_at": now, "note": note[:255]},
        )
    return record


def register_reinstate_many(
    entry_ids: Sequence[int], *, actor: User | None, register_import: RegisterImport
) -> int:
    """Reverse the strike-offs of people back in an imported file, but only those an import
    decided because they had left the roll: an annulment or a clerk's strike-off is a decision
    the file alone does not undo. Returns how many were reinstated."""
    now = timezone.now()
    reinstated = list(
        RegisterStrikeOff.objects.filter(
            entry_id__in=entry_ids,
            reversed_at__isnull=True,
            reason=StrikeOffReason.LEFT_ROLL,
            register_import__isnull=False,
        ).values_list("entry_id", flat=True)
    )
    if not reinstated:
        return 0
    RegisterStrikeOff.objects.filter(entry_id__in=reinstated, reversed_at__isnull=True).update(
        reversed_at=now,
        reversed_by=actor,
        reversal_note=_("De nouveau dans l'import n° %(id)s") % {"id": register_import.pk},
    )
    RegisterEntry.objects.filter(pk__in=reinstated).update(
        active=True, struck_off_at=None, struck_off_reason="", updated_at=now
    )
    return len(reinstated)
