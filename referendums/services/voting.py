"""Casting an online ballot: one participation per elector, the last vote counts, secrecy kept.

What one cast writes, in one transaction:
- the participation row of (campaign, register entry), created once and locked FOR UPDATE, so any
  number of concurrent casts by one voter run one after the other;
- if that row holds a sealed reference (an earlier vote), the seal is opened with the campaign key
  and the old ballot and old receipt hash are deleted;
- a new ballot (random UUID, choices, maybe a district code) and a new receipt hash;
- the new sealed reference on the participation.
Nothing here is logged, audited or sent to a task: the choice never leaves this transaction.

On PostgreSQL a FIRST vote, by far the most common cast, is one statement in autocommit (its own
transaction, no BEGIN or COMMIT round trip): it share-locks the campaign row while checking that it
is voting, finds the voter in the frozen electorate, and writes the participation, the turnout
slot, the ballot and the receipt hash, all or nothing. The close and a cancellation change the
campaign row (an UPDATE, or SELECT ... FOR UPDATE first), which waits for every cast holding that
share lock, and a cast arriving while they hold the row waits for them and then re-reads the
row's newest version (PostgreSQL's READ COMMITTED re-check): it finds the vote closed and writes
nothing. So no ballot lands after the close counted or the cancellation discarded. Everything
else (a re-vote, a refusal, the first cast after this process's memo of the campaign expired)
takes the transactional path below, which decides every refusal on a fresh read.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.eligibility import RULES
from civic.errors import Conflict, DomainError, NotEligible, NotFound, NotVerified
from civic.models import District, User
from civic.perf import prepared_cursor
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
from referendums.services.common import LOCK_NAMESPACE, campaign_lock, lock_key


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


def _insert_first_participation(
    campaign_id: int, entry_id: int, now: datetime, sealed_ref: str
) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING: True if this call created the elector's participation
    (a first vote). If a concurrent cast by the same elector inserted first, PostgreSQL waits for
    it to commit and then does nothing: we go on as a re-vote."""
    table = Participation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (campaign_id, register_entry_id, voted_at, sealed_ref) "  # noqa: S608
            "VALUES (%s, %s, %s, %s) ON CONFLICT (campaign_id, register_entry_id) DO NOTHING "
            "RETURNING id",
            [campaign_id, entry_id, connection.ops.adapt_datetimefield_value(now), sealed_ref],
        )
        return cursor.fetchone() is not None


def _first_vote_rows(
    campaign_id: int,
    district: str,
    slot: int,
    ballot_id: uuid.UUID,
    choices: str,
    ballot_district: str | None,
    digest: str,
) -> None:
    # Counted once, in the transaction that creates the participation it counts.
    counted = TurnoutSlot.objects.filter(
        campaign_id=campaign_id, district_code=district, slot=slot
    ).update(participations=F("participations") + 1)
    if counted != 1:
        # A missing turnout slot would silently undercount: refuse the whole cast.
        raise Conflict(_("Le vote n'a pas pu être enregistré."), code="cast_incomplete")
    Ballot.objects.bulk_create(
        [
            Ballot(
                id=ballot_id,
                campaign_id=campaign_id,
                choices=choices,
                district_code=ballot_district,
            )
        ]
    )
    ReceiptHash.objects.bulk_create([ReceiptHash(campaign_id=campaign_id, digest=digest)])


STATE_FIELDS = (
    "status",
    "predicate",
    "voting_opens_at",
    "voting_closes_at",
    "opened_at",
    "electorate_districts",
    "member_district",
    "wrapped_key",
)


def _cast_state_orm(campaign_id: int, entry_id: int) -> dict[str, Any] | None:
    """The campaign's state, the voter's frozen district (None if not an elector of this vote) and
    the wrapped sealing key, under the shared campaign lock (other databases)."""
    campaign_lock(campaign_id, shared=True)
    return (
        Campaign.objects.filter(pk=campaign_id, voting_method=VotingMethod.ONLINE)
        .annotate(
            member_district=Subquery(
                ElectorateMember.objects.filter(
                    campaign_id=OuterRef("pk"), register_entry_id=entry_id
                ).values("district__code")[:1]
            ),
            wrapped_key=Subquery(
                SealingKey.objects.filter(campaign_id=OuterRef("pk")).values("wrapped_key")[:1]
            ),
        )
        .values(*STATE_FIELDS)
        .first()
    )


@cache
def _cast_state_sql() -> str:
    campaign = Campaign._meta.db_table
    member = ElectorateMember._meta.db_table
    district = District._meta.db_table
    sealing = SealingKey._meta.db_table
    return f"""
        SELECT c.status, c.predicate, c.voting_opens_at, c.voting_closes_at, c.opened_at,
               c.electorate_districts,
               (SELECT d.code FROM {member} m JOIN {district} d ON d.id = m.district_id
                 WHERE m.campaign_id = c.id AND m.register_entry_id = %(entry)s LIMIT 1),
               (SELECT k.wrapped_key FROM {sealing} k WHERE k.campaign_id = c.id LIMIT 1),
               pg_advisory_xact_lock_shared(%(namespace)s, %(key)s)
        FROM {campaign} c
        WHERE c.id = %(campaign)s AND c.voting_method = %(online)s
    """  # noqa: S608 - table names from the models, values as parameters


def _cast_state_postgres(campaign_id: int, entry_id: int) -> dict[str, Any] | None:
    """As `_cast_state_orm`, in one plain statement (the hottest read of a vote: no ORM
    compilation). The shared campaign lock is taken by the statement itself, selected so the
    database evaluates it; the write re-checks the status in its own, later snapshot."""
    with connection.cursor() as cursor:
        cursor.execute(
            _cast_state_sql(),
            {
                "entry": entry_id,
                "namespace": LOCK_NAMESPACE,
                "key": lock_key(campaign_id),
                "campaign": campaign_id,
                "online": VotingMethod.ONLINE.value,
            },
        )
        row = cursor.fetchone()
    if row is None:
        return None
    state = dict(zip(STATE_FIELDS, row[: len(STATE_FIELDS)], strict=True))
    if isinstance(state["electorate_districts"], str):  # jsonb arrives as text through Django
        state["electorate_districts"] = json.loads(state["electorate_districts"])
    return state


# Per process: the campaign's voting state for a few seconds, to prepare a first vote without a
# read. It is never trusted to refuse (refusals come from a fresh read) nor to accept (the write
# checks the campaign row itself).
_STATE_MEMO: dict[int, tuple[float, dict[str, Any]]] = {}
_STATE_MEMO_SECONDS = 5.0


def _memo_state(campaign_id: int) -> dict[str, Any] | None:
    now = time.monotonic()
    memo = _STATE_MEMO.get(campaign_id)
    if memo is not None and memo[0] > now:
        return memo[1]
    return None


def _remember_state(campaign_id: int, state: dict[str, Any]) -> None:
    if len(_STATE_MEMO) > 256:
        _STATE_MEMO.clear()
    shared = {k: v for k, v in state.items() if k != "member_district"}  # not this voter's
    _STATE_MEMO[campaign_id] = (time.monotonic() + _STATE_MEMO_SECONDS, shared)


def state_memo_forget() -> None:
    _STATE_MEMO.clear()


@cache
def _first_vote_sql() -> str:
    tables = {
        "campaign": Campaign._meta.db_table,
        "member": ElectorateMember._meta.db_table,
        "district": District._meta.db_table,
        "slot": TurnoutSlot._meta.db_table,
        "participation": Participation._meta.db_table,
        "ballot": Ballot._meta.db_table,
        "receipt": ReceiptHash._meta.db_table,
    }
    return """
        WITH open AS (
            SELECT c.electorate_districts FROM {campaign} c
            WHERE c.id = %(c)s AND c.status = 'voting' AND c.voting_method = %(online)s
              AND c.voting_opens_at <= %(now)s AND %(now)s < c.voting_closes_at
            FOR SHARE
        ), member AS (
            SELECT d.code FROM {member} m JOIN {district} d ON d.id = m.district_id
            WHERE m.campaign_id = %(c)s AND m.register_entry_id = %(e)s
              AND EXISTS (SELECT 1 FROM open)
            LIMIT 1
        ), target AS (
            SELECT s.id FROM {slot} s, member
            WHERE s.campaign_id = %(c)s AND s.district_code = member.code AND s.slot = %(slot)s
        ), p AS (
            INSERT INTO {participation} (campaign_id, register_entry_id, voted_at, sealed_ref)
            SELECT %(c)s, %(e)s, %(now)s, %(seal)s WHERE EXISTS (SELECT 1 FROM target)
            ON CONFLICT (campaign_id, register_entry_id) DO NOTHING
            RETURNING id
        ), s AS (
            UPDATE {slot} SET participations = participations + 1
            WHERE id = (SELECT id FROM target) AND EXISTS (SELECT 1 FROM p)
            RETURNING 1
        ), b AS (
            INSERT INTO {ballot} (id, campaign_id, choices, district_code)
            SELECT %(b)s, %(c)s, %(choices)s,
                   CASE WHEN COALESCE((open.electorate_districts ->> member.code)::int, 0)
                             >= %(small)s
                        THEN member.code END
            FROM open, member WHERE EXISTS (SELECT 1 FROM p)
            RETURNING 1
        ), r AS (
            INSERT INTO {receipt} (id, campaign_id, digest)
            SELECT %(r)s, %(c)s, %(digest)s WHERE EXISTS (SELECT 1 FROM p)
            RETURNING 1
        )
        SELECT EXISTS (SELECT 1 FROM open), EXISTS (SELECT 1 FROM target),
               EXISTS (SELECT 1 FROM p),
               (SELECT count(*) FROM s), (SELECT count(*) FROM b), (SELECT count(*) FROM r)
    """.format(**tables)  # noqa: S608 - table names from the models, values as parameters


class _Written(NamedTuple):
    open: bool  # the campaign row, share-locked, was voting at `now`
    has_slot: bool  # the voter is in the electorate and their district's turnout slot exists
    created: bool  # a first vote: participation, turnout slot, ballot and receipt written


def _first_vote_write(
    *,
    campaign_id: int,
    entry_id: int,
    now: datetime,
    sealed_ref: str,
    slot: int,
    ballot_id: uuid.UUID,
    choices: str,
    digest: str,
) -> _Written:
    """PostgreSQL: a first vote's four writes in one statement (see the module's docstring). When
    it does not create the participation, it writes nothing."""
    with prepared_cursor() as cursor:
        cursor.execute(
            _first_vote_sql(),
            {
                "c": campaign_id,
                "e": entry_id,
                "now": now,
                "online": VotingMethod.ONLINE.value,
                "seal": sealed_ref,
                "slot": slot,
                "b": ballot_id,
                "choices": choices,
                "small": settings.SMALL_CELL_THRESHOLD,
                "r": uuid.uuid4(),
                "digest": digest,
            },
        )
        still_open, has_slot, created, slots, ballots, receipts = cursor.fetchone()
    # The participation is written only when its turnout slot exists, and the other writes are
    # conditioned on it in the same statement: all four or none.
    assert not created or (slots, ballots, receipts) == (1, 1, 1), "a partial first vote"
    return _Written(bool(still_open), bool(has_slot), bool(created))


def _first_vote_fast(
    *, campaign_id: int, entry_id: int, choices: dict[str, str]
) -> CastResult | None:
    """A first vote in one autocommitted statement (see the module's docstring), or None when this
    cast must take the transactional path: no memo of the campaign, not a first vote, or anything
    to refuse. None means nothing was written."""
    state = _memo_state(campaign_id)
    if state is None:
        return None
    now = timezone.now()
    if not (
        state["status"] == CampaignStatus.VOTING
        and state["voting_opens_at"] <= now < state["voting_closes_at"]
        and state["wrapped_key"] is not None
    ):
        return None
    try:
        stored_choices = canonical_choices(campaign_id, choices, opened_at=state["opened_at"])
    except DomainError:
        return None  # the transactional path gives the answer
    key = unwrap_key(campaign_id, state["wrapped_key"])
    ballot_id = uuid.uuid4()
    code = receipt_new()
    digest = receipt_digest(campaign_id, code)
    written = _first_vote_write(
        campaign_id=campaign_id,
        entry_id=entry_id,
        now=now,
        sealed_ref=seal(key, campaign_id, Sealed(ballot_id, digest)),
        slot=secrets.randbelow(TURNOUT_SLOTS),
        ballot_id=ballot_id,
        choices=stored_choices,
        digest=digest,
    )
    if not written.created:
        return None
    return CastResult(receipt=code, revote=False)


def ballot_cast(*, campaign_id: int, user: User, choices: dict[str, str]) -> CastResult:
    if not user.is_authenticated or not user.is_verified:
        raise NotVerified(_("Un compte vérifié est nécessaire pour voter."))
    entry_id = user.register_entry_id
    assert entry_id is not None
    postgres = connection.vendor == "postgresql"
    if postgres:
        fast = _first_vote_fast(campaign_id=campaign_id, entry_id=entry_id, choices=choices)
        if fast is not None:
            return fast
    with transaction.atomic():
        # The campaign lock, shared: casts run side by side; the close and a cancellation take it
        # exclusive and wait for them. On PostgreSQL it is taken by the state query itself; that
        # query's snapshot may predate a cancellation it waited for, so the write re-checks the
        # status in its own statement (and a close only happens once `now >= voting_closes_at`,
        # which the time check below refuses).
        row = (
            _cast_state_postgres(campaign_id, entry_id)
            if postgres
            else _cast_state_orm(campaign_id, entry_id)
        )
        if row is None:
            raise NotFound(_("Vote introuvable."))
        if postgres:
            _remember_state(campaign_id, row)
        now = timezone.now()
        # Time is the guard, not the scheduler: a late close never lets a ballot in.
        if not (
            row["status"] == CampaignStatus.VOTING
            and row["voting_opens_at"] <= now < row["voting_closes_at"]
            and row["wrapped_key"] is not None
        ):
            raise Conflict(_("Le vote n'est pas ouvert."), code="voting_not_open")
        member = row["member_district"]
        if member is None:
            raise NotEligible(
                _("Vous ne faites pas partie du corps électoral de ce vote."),
                code="not_in_electorate",
                rule=RULES.get(row["predicate"]),
            )
        stored_choices = canonical_choices(campaign_id, choices, opened_at=row["opened_at"])
        # A ballot carries its district only if the district has enough electors that a count
        # there cannot single anyone out (docs/threat-model.md).
        district_size = (row["electorate_districts"] or {}).get(member, 0)
        district_code = member if district_size >= settings.SMALL_CELL_THRESHOLD else None
        key = unwrap_key(campaign_id, row["wrapped_key"])

        ballot_id = uuid.uuid4()
        code = receipt_new()
        digest = receipt_digest(campaign_id, code)
        sealed_ref = seal(key, campaign_id, Sealed(ballot_id, digest))

        slot = secrets.randbelow(TURNOUT_SLOTS)
        if postgres:
            written = _first_vote_write(
                campaign_id=campaign_id,
                entry_id=entry_id,
                now=now,
                sealed_ref=sealed_ref,
                slot=slot,
                ballot_id=ballot_id,
                choices=stored_choices,
                digest=digest,
            )
            if not written.open:
                raise Conflict(_("Le vote n'est pas ouvert."), code="voting_not_open")
            if not written.has_slot:
                # A missing turnout slot would silently undercount: refuse the whole cast.
                raise Conflict(_("Le vote n'a pas pu être enregistré."), code="cast_incomplete")
            revote = not written.created
        else:
            revote = not _insert_first_participation(campaign_id, entry_id, now, sealed_ref)
            if not revote:
                _first_vote_rows(
                    campaign_id, member, slot, ballot_id, stored_choices, district_code, digest
                )
        if revote:
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
                ReceiptHash.objects.filter(
                    campaign_id=campaign_id, digest=old.receipt_digest
                ).delete()
            Participation.objects.filter(pk=participation.pk).update(
                voted_at=now, sealed_ref=sealed_ref
            )
            Ballot.objects.bulk_create(
                [
                    Ballot(
                        id=ballot_id,
                        campaign_id=campaign_id,
                        choices=stored_choices,
                        district_code=district_code,
                    )
                ]
            )
            ReceiptHash.objects.bulk_create([ReceiptHash(campaign_id=campaign_id, digest=digest)])
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
