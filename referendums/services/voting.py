"""Casting an online ballot: one participation per elector, the last vote counts, secrecy kept.

What one cast writes, in one transaction:
- the participation row of (campaign, register entry), created once and locked FOR UPDATE, so any
  number of concurrent casts by one voter run one after the other;
- if that row holds a sealed reference (an earlier vote), the seal is opened with the campaign key,
  the old ballot is deleted and the old receipt hash marked superseded (kept: the published box
  lists every receipt ever given, so a receipt proves nothing about a later re-vote);
- a new ballot (random UUID, choices, maybe a district code) and a new receipt hash;
- the new sealed reference on the participation.
No statement carries both the voter and the choice (store.first_vote_write). Nothing here is
logged, audited or sent to a task: the choice never leaves this transaction.

A FIRST vote, by far the most common cast, is two pipelined statements in one round trip, run in
one implicit transaction (`store.first_vote_write`): the first share-locks the campaign row while
checking that it is voting, finds the voter in the frozen electorate, and writes the participation,
the turnout slot and the receipt hash; the second writes the ballot if and only if the first wrote
the participation. The close and a cancellation change the campaign row (an UPDATE, or SELECT ...
FOR UPDATE first), which waits for every cast holding that share lock, and a cast arriving while
they hold the row waits for them and then re-reads the row's newest version (PostgreSQL's READ
COMMITTED re-check): it finds the vote closed and writes nothing. So no ballot lands after the
close counted or the cancellation discarded. Everything else (a re-vote, a refusal, the first cast
after this process's memo of the campaign expired) takes the transactional path, which decides
every refusal on a fresh read.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.eligibility import RULES
from civic.errors import Conflict, DomainError, NotEligible, NotFound, NotVerified
from civic.models import User
from referendums import rules, store
from referendums.models import (
    TURNOUT_SLOTS,
    Ballot,
    Campaign,
    Option,
    Participation,
    ReceiptHash,
    SealingKey,
    TurnoutSlot,
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
from referendums.store import CastState


@dataclass(frozen=True)
class CastResult:
    receipt: str
    revote: bool


# Questions and options are frozen once a campaign is scheduled: each worker keeps them per open
# vote (keyed by the opening instant, so a new vote never reuses an old entry).
_OPTIONS_CACHE: dict[tuple[int, str], dict[str, frozenset[str]]] = {}


def _valid_options(campaign_id: int, opened_at: Any) -> dict[str, frozenset[str]]:
    cache_key = (campaign_id, str(opened_at))
    cached = _OPTIONS_CACHE.get(cache_key)
    if cached is None:
        valid: dict[str, set[str]] = {}
        for question_id, key in Option.objects.filter(
            question__campaign_id=campaign_id
        ).values_list("question_id", "key"):
            valid.setdefault(str(question_id), set()).add(key)
        cached = {q: frozenset(keys) for q, keys in valid.items()}
        if len(_OPTIONS_CACHE) > 256:
            _OPTIONS_CACHE.clear()
        _OPTIONS_CACHE[cache_key] = cached
    return cached


def canonical_choices(campaign_id: int, choices: dict[str, str], *, opened_at: Any = None) -> str:
    """Check one valid option per question and return the canonical JSON that is stored."""
    valid = _valid_options(campaign_id, opened_at)
    if not isinstance(choices, dict) or set(map(str, choices)) != set(valid):
        raise DomainError(
            _("Répondez à chaque question, et seulement à celles-ci."), code="invalid_choices"
        )
    normalised = {str(q): v for q, v in choices.items()}
    for asked, answer in normalised.items():
        if not isinstance(answer, str) or answer not in valid[asked]:
            raise DomainError(_("Réponse inconnue."), code="invalid_choices")
    return json.dumps(normalised, sort_keys=True, separators=(",", ":"))


# Per process: the campaign's voting state for a few seconds, to prepare a first vote without a
# read. It is never trusted to refuse (refusals come from a fresh read) nor to accept (the write
# checks the campaign row itself).
_STATE_MEMO: dict[int, tuple[float, CastState]] = {}
_STATE_MEMO_SECONDS = 5.0


def _memo_state(campaign_id: int) -> CastState | None:
    now = time.monotonic()
    memo = _STATE_MEMO.get(campaign_id)
    if memo is not None and memo[0] > now:
        return memo[1]
    return None


def _remember_state(campaign_id: int, state: CastState) -> None:
    if len(_STATE_MEMO) > 256:
        _STATE_MEMO.clear()
    shared = state._replace(member_district=None)  # not this voter's
    _STATE_MEMO[campaign_id] = (time.monotonic() + _STATE_MEMO_SECONDS, shared)


def state_memo_forget() -> None:
    _STATE_MEMO.clear()


@dataclass(frozen=True)
class _NewBallot:
    """A ballot ready to be written: its id, receipt, seal and turnout slot, drawn at random."""

    ballot_id: uuid.UUID
    receipt: str
    digest: str
    sealed_ref: str
    choices: str
    slot: int


def _new_ballot(campaign_id: int, key: bytes, stored_choices: str) -> _NewBallot:
    ballot_id = uuid.uuid4()
    code = receipt_new()
    digest = receipt_digest(campaign_id, code)
    return _NewBallot(
        ballot_id=ballot_id,
        receipt=code,
        digest=digest,
        sealed_ref=seal(key, campaign_id, Sealed(ballot_id, digest)),
        choices=stored_choices,
        slot=secrets.randbelow(TURNOUT_SLOTS),
    )


def receipt_checkable_until(now: datetime) -> datetime:
    """The end of a receipt's check window, from the cast's minute (not its second: the receipt
    row then tells little more than the participation's date about when it was given)."""
    minute = now.replace(second=0, microsecond=0)
    return minute + timedelta(minutes=settings.RECEIPT_CHECK_MINUTES + 1)


def _write_first_vote(
    campaign_id: int, entry_id: int, ballot: _NewBallot, now: datetime
) -> store.FirstVote:
    return store.first_vote_write(
        campaign_id=campaign_id,
        entry_id=entry_id,
        now=now,
        sealed_ref=ballot.sealed_ref,
        slot=ballot.slot,
        ballot_id=ballot.ballot_id,
        choices=ballot.choices,
        digest=ballot.digest,
        checkable_until=receipt_checkable_until(now),
        checks=settings.RECEIPT_CHECK_LIMIT,
        small_cell=settings.SMALL_CELL_THRESHOLD,
    )


def _first_vote_fast(
    *, campaign_id: int, entry_id: int, choices: dict[str, str]
) -> CastResult | None:
    """A first vote in one autocommitted statement (see the module's docstring), or None when this
    cast must take the transactional path: no memo of the campaign, not a first vote, or anything
    to refuse. None means nothing was written."""
    state = _memo_state(campaign_id)
    if state is None or state.wrapped_key is None:
        return None
    now = timezone.now()
    # The electorate is the statement's to check: it writes nothing for an outsider.
    if not rules.may_vote(state, now, in_electorate=True):
        return None
    try:
        stored_choices = canonical_choices(campaign_id, choices, opened_at=state.opened_at)
    except DomainError:
        return None  # the transactional path gives the answer
    key = unwrap_key(campaign_id, state.wrapped_key)
    ballot = _new_ballot(campaign_id, key, stored_choices)
    if not _write_first_vote(campaign_id, entry_id, ballot, now).created:
        return None
    return CastResult(receipt=ballot.receipt, revote=False)


def _voter_entry(user: User) -> int:
    if not user.is_authenticated or not user.is_verified:
        raise NotVerified(_("Un compte vérifié est nécessaire pour voter."))
    entry_id = user.register_entry_id
    assert entry_id is not None
    return entry_id


def _state_or_refuse(campaign_id: int, entry_id: int) -> tuple[CastState, datetime]:
    """The campaign's state read afresh under the shared campaign lock and the instant of the
    cast (taken once the lock is held), or the cast's refusal.

    The state query's snapshot may predate a cancellation it waited for, so the write re-checks
    the status in its own statement (and a close only happens once `now >= voting_closes_at`,
    which the voting rule refuses)."""
    state = store.cast_state(campaign_id, entry_id)
    if state is None:
        raise NotFound(_("Vote introuvable."))
    _remember_state(campaign_id, state)
    now = timezone.now()
    refusal = rules.vote_refusal(state, now, in_electorate=state.member_district is not None)
    if refusal == rules.NOT_ONLINE:
        raise NotFound(_("Vote introuvable."))
    if refusal == rules.VOTING_NOT_OPEN or state.wrapped_key is None:
        raise Conflict(_("Le vote n'est pas ouvert."), code="voting_not_open")
    if refusal == rules.NOT_IN_ELECTORATE:
        raise NotEligible(
            _("Vous ne faites pas partie du corps électoral de ce vote."),
            code="not_in_electorate",
            rule=RULES.get(state.predicate),
        )
    return state, now


def _ballot_district(state: CastState) -> str | None:
    """A ballot carries its district only if the district has enough electors that a count there
    cannot single anyone out (docs/threat-model.md). The first-vote statement decides the same."""
    member = state.member_district
    if member is None or state.electorate_districts.get(member, 0) < settings.SMALL_CELL_THRESHOLD:
        return None
    return member


def _ballot_replace(
    campaign_id: int,
    entry_id: int,
    key: bytes,
    ballot: _NewBallot,
    district: str | None,
    now: datetime,
) -> None:
    """A re-vote: the participation locked, the previous ballot found through its seal and
    deleted, its receipt marked superseded (never deleted: see the module's docstring), the new
    ones written and sealed in their place. Each statement holds the voter or the choice, never
    both."""
    participation = Participation.objects.select_for_update().get(
        campaign_id=campaign_id, register_entry_id=entry_id
    )
    if participation.sealed_ref is not None:
        try:
            old = unseal(key, campaign_id, participation.sealed_ref)
        except SealBroken as exc:
            raise Conflict(
                _("Votre vote précédent ne peut être remplacé."), code="seal_broken"
            ) from exc
        Ballot.objects.filter(pk=old.ballot_id, campaign_id=campaign_id).delete()
        ReceiptHash.objects.filter(campaign_id=campaign_id, digest=old.receipt_digest).update(
            superseded=True
        )
    Participation.objects.filter(pk=participation.pk).update(
        voted_at=now, sealed_ref=ballot.sealed_ref
    )
    Ballot.objects.bulk_create(
        [
            Ballot(
                id=ballot.ballot_id,
                campaign_id=campaign_id,
                choices=ballot.choices,
                district_code=district,
            )
        ]
    )
    ReceiptHash.objects.bulk_create(
        [
            ReceiptHash(
                campaign_id=campaign_id,
                digest=ballot.digest,
                checkable_until=receipt_checkable_until(now),
                checks_left=settings.RECEIPT_CHECK_LIMIT,
            )
        ]
    )


def ballot_cast(*, campaign_id: int, user: User, choices: dict[str, str]) -> CastResult:
    entry_id = _voter_entry(user)
    fast = _first_vote_fast(campaign_id=campaign_id, entry_id=entry_id, choices=choices)
    if fast is not None:
        return fast
    with transaction.atomic():
        # The campaign lock, shared (taken by the state query): casts run side by side; the close
        # and a cancellation take it exclusive and wait for them.
        state, now = _state_or_refuse(campaign_id, entry_id)
        assert state.wrapped_key is not None
        stored_choices = canonical_choices(campaign_id, choices, opened_at=state.opened_at)
        key = unwrap_key(campaign_id, state.wrapped_key)
        ballot = _new_ballot(campaign_id, key, stored_choices)
        written = _write_first_vote(campaign_id, entry_id, ballot, now)
        if not written.open:
            raise Conflict(_("Le vote n'est pas ouvert."), code="voting_not_open")
        if not written.has_slot:
            # A missing turnout slot would silently undercount: refuse the whole cast.
            raise Conflict(_("Le vote n'a pas pu être enregistré."), code="cast_incomplete")
        if not written.created:
            _ballot_replace(campaign_id, entry_id, key, ballot, _ballot_district(state), now)
    return CastResult(receipt=ballot.receipt, revote=not written.created)


def receipt_check(*, campaign_id: int, code: str) -> bool:
    """Was this receipt received? Only within RECEIPT_CHECK_MINUTES of the cast, at most
    RECEIPT_CHECK_LIMIT times (Estonia's i-voting check): the answer is "received", never whether
    it still counts, since a later re-vote supersedes it unseen. After the window a receipt held
    by a coercer tells nothing; after the close every receipt ever given is in the published box.
    False: no such receipt (a mistyped code)."""
    if not Campaign.objects.filter(pk=campaign_id).exists():
        raise NotFound(_("Vote introuvable."))
    claimed = store.receipt_check_claim(
        campaign_id, receipt_digest(campaign_id, code), timezone.now()
    )
    if claimed is False:
        raise Conflict(
            _(
                "Un récépissé se vérifie seulement dans les %(minutes)d minutes qui suivent le "
                "vote, et %(times)d fois au plus."
            )
            % {"minutes": settings.RECEIPT_CHECK_MINUTES, "times": settings.RECEIPT_CHECK_LIMIT},
            code="receipt_not_checkable",
        )
    return bool(claimed)


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
