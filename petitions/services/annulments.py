"""Signatures of an annulled registration leave the count (CIVIC-RULES, "Strike-offs").

A strike-off because the person left the roll keeps their signatures: they were on the roll when
signing. An annulled registration (error, fraud, court decision) removes every signature still held,
with the public reason "registration annulled" and its date; the count drops by the next fold.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from civic.audit import audit_record
from petitions import store
from petitions.models import AnnulledSignature, AnnulmentReason, Signature
from petitions.services.signatures.plan import count_slot


def signatures_annul_for_entry(*, register_entry_id: int, at: datetime) -> int:
    """Remove the signatures of one register entry, keeping a public trace of each. Idempotent: a
    repeated delivery finds nothing left. Returns how many were removed."""
    with transaction.atomic():
        signatures = list(
            Signature.objects.select_for_update()
            .filter(register_entry_id=register_entry_id)
            .order_by("initiative_id")
            .only("id", "initiative_id", "channel", "track_mask", "created_at")
        )
        if not signatures:
            return 0
        AnnulledSignature.objects.bulk_create(
            AnnulledSignature(
                initiative_id=s.initiative_id,
                reason=AnnulmentReason.REGISTRATION_ANNULLED,
                channel=s.channel,
                track_mask=s.track_mask,
                signed_on=timezone.localdate(s.created_at),
                annulled_at=at,
            )
            for s in signatures
        )
        Signature.objects.filter(pk__in=[s.pk for s in signatures]).delete()
        slot = count_slot()
        store.slots_add(sorted((s.initiative_id, s.track_mask, slot, -1) for s in signatures))
        # Counts only: which initiatives this person had signed is an opinion, not for the log.
        audit_record(
            actor=None,
            verb="petitions.signatures_annul",
            target=("civic.registerentry", register_entry_id),
            after={"reason": AnnulmentReason.REGISTRATION_ANNULLED, "removed": len(signatures)},
        )
    return len(signatures)
