"""Casting an online ballot: one participation per elector, the last vote counts, secrecy kept.

What one cast writes, in one transaction:
- the participation row of (campaign, register entry), created once and locked FOR UPDATE, so any
  number of concurrent casts by one voter run one after the other;
- if that row holds a sealed reference (an earlier vote), the seal is opened with the campaign key
  and the old ballot and old receipt hash are deleted;
- a new ballot (random UUID, choices, maybe a district code) and a new receipt hash;
- the new sealed reference on the participation.
Nothing here is logged, audited or sent to a task: the choice never leaves this transaction.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.eligibility import RULES
from civic.errors import Conflict, DomainError, NotEligible, NotFound, NotVerified
from civic.models import User
from referendums.models import (
    TURNOUT_SLOTS,
    Ballot,
    Campaign,
    CampaignStatus,
    ElectorateMember,
    Option,
    Participation,
    ReceiptHash,
    SealingKey,
    TurnoutSlot,
    VotingMethod,
)
from referendums.sealing import (
    SealBroken,
    Sealed,
    receipt_digest,
    receipt_new,
    seal,
    unseal,
    unwrap_key,
)
from referendums.services.common import campaign_lock


@dataclass(frozen=True)
class CastResult:
    receipt: str
    revote: bool


def canonical_choices(campaign_id: int, choices: dict[str, str]) -> str:
    """Check one valid option per question and return the canonical JSON that is stored."""
    valid: dict[str, set[str]] = {}
    for question_id, key in Option.objects.filter(question__campaign_id=campaign_id).values_list(
        "question_id", "key"
    ):
        valid.setdefault(str(question_id), set()).add(key)
    if not isinstance(choices, dict) or set(map(str, choices)) != set(valid):
        raise DomainError(
            _("Répondez à chaque question, et seulement à celles-ci."), code="invalid_choices"
        )
    normalised = {str(q): v for q, v in choices.items()}
    for asked, answer in normalised.items():
        if not isinstance(answer, str) or answer not in valid[asked]:
            raise DomainError(_("Réponse inconnue."), code="invalid_choices")
    return json.dumps(normalised, sort_keys=True, separators=(",", ":"))


def _lock_participation(campaign_id: int, entry_id: int, district_code: str) -> Participation:
    query = Participation.objects.select_for_update().filter(
        campaign_id=campaign_id, register_entry_id=entry_id
    )
    participation = query.first()
    if participation is not None:
        return participation
    try:
        with transaction.atomic():
            created = Participation.objects.create(
                campaign_id=campaign_id, register_entry_id=entry_id, voted_at=timezone.now()
            )
            # Counted once, with the row that it counts (a re-vote never reaches here).
            TurnoutSlot.objects.filter(
                campaign_id=campaign_id,
                district_code=district_code,
                slot=secrets.randbelow(TURNOUT_SLOTS),
            ).update(participations=F("participations") + 1)
            return created
    except IntegrityError:
        # Another cast by the same voter inserted first (PostgreSQL made us wait for its commit):
        # take its row, locked, and continue as a re-vote.
        return query.get()


def ballot_cast(*, campaign_id: int, user: User, choices: dict[str, str]) -> CastResult:
    if not user.is_authenticated or not user.is_verified:
        raise NotVerified(_("Un compte vérifié est nécessaire pour voter."))
    entry_id = user.register_entry_id
    assert entry_id is not None
    with transaction.atomic():
        # Shared: casts run side by side; the close takes it exclusive and waits for them.
        campaign_lock(campaign_id, shared=True)
        campaign = (
            Campaign.objects.filter(pk=campaign_id, voting_method=VotingMethod.ONLINE)
            .only(
                "id",
                "status",
                "predicate",
                "voting_opens_at",
                "voting_closes_at",
                "electorate_districts",
            )
            .first()
        )
        if campaign is None:
            raise NotFound(_("Vote introuvable."))
        now = timezone.now()
        # Time is the guard, not the scheduler: a late close never lets a ballot in.
        if not (
            campaign.status == CampaignStatus.VOTING
            and campaign.voting_opens_at <= now < campaign.voting_closes_at
        ):
            raise Conflict(_("Le vote n'est pas ouvert."), code="voting_not_open")
        member = (
            ElectorateMember.objects.filter(campaign_id=campaign_id, register_entry_id=entry_id)
            .values_list("district__code", flat=True)
            .first()
        )
        if member is None:
            raise NotEligible(
                _("Vous ne faites pas partie du corps électoral de ce vote."),
                code="not_in_electorate",
                rule=RULES.get(campaign.predicate),
            )
        stored_choices = canonical_choices(campaign_id, choices)
        # A ballot carries its district only if the district has enough electors that a count
        # there cannot single anyone out (docs/threat-model.md).
        district_size = (campaign.electorate_districts or {}).get(member, 0)
        district_code = member if district_size >= settings.SMALL_CELL_THRESHOLD else None
        key_row = SealingKey.objects.filter(campaign_id=campaign_id).first()
        if key_row is None:  # cannot happen while voting; refuse rather than lose the link
            raise Conflict(_("Le vote n'est pas ouvert."), code="voting_not_open")
        key = unwrap_key(campaign_id, key_row.wrapped_key)

        participation = _lock_participation(campaign_id, entry_id, member)
        revote = participation.sealed_ref is not None
        if revote:
            assert participation.sealed_ref is not None
            try:
                old = unseal(key, campaign_id, participation.sealed_ref)
            except SealBroken as exc:
                raise Conflict(
                    _("Votre vote précédent ne peut être remplacé."), code="seal_broken"
                ) from exc
            Ballot.objects.filter(pk=old.ballot_id, campaign_id=campaign_id).delete()
            ReceiptHash.objects.filter(campaign_id=campaign_id, digest=old.receipt_digest).delete()

        ballot_id = uuid.uuid4()
        Ballot.objects.create(
            id=ballot_id,
            campaign_id=campaign_id,
            choices=stored_choices,
            district_code=district_code,
        )
        code = receipt_new()
        digest = receipt_digest(campaign_id, code)
        ReceiptHash.objects.create(campaign_id=campaign_id, digest=digest)
        Participation.objects.filter(pk=participation.pk).update(
            voted_at=now, sealed_ref=seal(key, campaign_id, Sealed(ballot_id, digest))
        )
    return CastResult(receipt=code, revote=revote)


def receipt_check(*, campaign_id: int, code: str) -> bool:
    """Is this receipt among the counted ballots' receipts? Only after the close: before, a
    receipt is not yet final (the voter may vote again) and nothing is counted."""
    campaign = Campaign.objects.filter(pk=campaign_id).only("status").first()
    if campaign is None:
        raise NotFound(_("Vote introuvable."))
    from referendums import workflow

    if campaign.status not in workflow.BALLOT_BOX_VISIBLE:
        raise Conflict(
            _("Les récépissés se vérifient après la clôture du vote."), code="ballot_box_not_ready"
        )
    return ReceiptHash.objects.filter(
        campaign_id=campaign_id, digest=receipt_digest(campaign_id, code)
    ).exists()


def has_participated(*, campaign_id: int, user: User) -> bool:
    if not user.is_authenticated or user.register_entry_id is None:
        return False
    return Participation.objects.filter(
        campaign_id=campaign_id, register_entry_id=user.register_entry_id
    ).exists()


def ballots_discard(*, campaign: Campaign) -> None:
    """A cancelled vote: its ballots, receipts and seals go, unseen and uncounted."""
    SealingKey.objects.filter(campaign=campaign).delete()
    Participation.objects.filter(campaign=campaign).update(sealed_ref=None)
    Ballot.objects.filter(campaign=campaign).delete()
    ReceiptHash.objects.filter(campaign=campaign).delete()
    TurnoutSlot.objects.filter(campaign=campaign).delete()
