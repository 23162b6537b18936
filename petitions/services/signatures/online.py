"""A resident signs online, or withdraws their signature."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.errors import NotVerified
from civic.models import User
from petitions import store
from petitions.models import Channel, Invalidation
from petitions.services.signatures.plan import count_slot
from petitions.services.signatures.record import record
from petitions.services.signatures.state import open_tracks


@dataclass(frozen=True)
class SignOutcome:
    """The answer to a signing request: identical for a first and for a repeated signature."""

    initiative_id: int
    tracks: list[str] = field(default_factory=list)


def signature_sign(*, initiative_id: int, user: User, ip: str | None = None) -> SignOutcome:
    """Sign once. Signing again gives the very same answer, so no one learns who had signed.
    `ip` is the signer's address (kept for trending sources and invalidation by address)."""
    if not user.is_authenticated or not user.is_verified:
        raise NotVerified(_("Vérifiez votre compte pour signer."))
    assert user.register_entry_id is not None
    entry = user.register_entry  # loaded with the user by the API authentication
    assert entry is not None
    now = timezone.now()
    tracks = open_tracks(initiative_id, now)
    recorded = record(
        initiative_id=initiative_id,
        entry=entry,
        tracks=tracks,
        channel=Channel.ONLINE,
        now=now,
        entered_by=None,
        ip=ip,
    )
    return SignOutcome(initiative_id, [t.slug for t in recorded.plan.tracks])


def signature_withdraw(*, initiative_id: int, user: User) -> None:
    """Withdraw one's signature while collection is open. Withdrawing when one had not signed gives
        the same answer as withdrawing a signature. A signature an invalidation holds is withdrawn too:
    the resident's choice outlives an undo."""
    if not user.is_authenticated or not user.is_verified:
        raise NotVerified(_("Vérifiez votre compte."))
    now = timezone.now()
    open_tracks(initiative_id, now)
    with transaction.atomic():
        deleted = store.signature_delete_while_open(
            initiative_id=initiative_id, register_entry_id=user.register_entry_id, now=now
        )
        if deleted is None:
            return
        if deleted.invalidation_id is None:
            store.slots_add([(initiative_id, deleted.mask, count_slot(), -1)])
        else:  # held by an invalidation: it was not counted; it leaves that invalidation's tally
            tally = "removed_paper" if deleted.channel == Channel.PAPER else "removed_online"
            Invalidation.objects.filter(pk=deleted.invalidation_id).update(**{tally: F(tally) - 1})
