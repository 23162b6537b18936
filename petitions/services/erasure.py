"""Account deletion, the initiatives' part (CIVIC-RULES, account deletion): a signature given
online on a collection still open is withdrawn (the count drops, as for any withdrawal); after the
close it stays, tied to the register entry only, until the initiative's retention period ends."""

from __future__ import annotations

from typing import Any

from civic.errors import DomainError
from civic.models import User
from petitions.models import Channel, Signature
from petitions.services.signatures import signature_withdraw


def personal_data_erase(*, user: User) -> dict[str, Any]:
    """Withdraw `user`'s online signatures where collection is open; report counts only."""
    if user.register_entry_id is None:
        return {"signatures_withdrawn": 0, "signatures_kept": 0}
    signed = list(
        Signature.objects.filter(
            register_entry_id=user.register_entry_id, channel=Channel.ONLINE
        ).values_list("initiative_id", flat=True)
    )
    withdrawn = 0
    for initiative_id in signed:
        try:
            signature_withdraw(initiative_id=initiative_id, user=user)
        except DomainError:
            continue  # collection closed: the signature stays for the legal check
        withdrawn += int(
            not Signature.objects.filter(
                initiative_id=initiative_id, register_entry_id=user.register_entry_id
            ).exists()
        )
    return {"signatures_withdrawn": withdrawn, "signatures_kept": len(signed) - withdrawn}
