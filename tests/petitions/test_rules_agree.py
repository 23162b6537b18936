""" "Is collection open" and "may this person sign" are written once (petitions/rules.py); the SQL
guard of the signing statement and the queryset forms must say the same on every case.

ONE table of cases (status, moderation, collection suspended or not, opening and closing instants
against now, the signer's eligibility) feeds the Python predicates, their queryset forms, the real signing statement on PostgreSQL (its
guard alone, eligibility skipped) and the signing service (the whole path)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from civic.errors import DomainError
from civic.models import RegisterEntry
from petitions import rules, services, store
from petitions.models import Initiative, Moderation, RejectionReason, Signature, Status
from tests.factories import RegisterEntryFactory, ResidentFactory
from tests.petitions.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.get_fixed_timezone(0))
MICRO = timedelta(microseconds=1)
DAY = timedelta(days=1)
CLOSES = {
    "no closing instant": None,
    "closed a day ago": -DAY,
    "closed a microsecond ago": -MICRO,
    "closes now": timedelta(0),
    "closes in a microsecond": MICRO,
    "closes in a day": DAY,
}
OPENS = {"opened two days ago": -2 * DAY, "never opened": None}
MODERATIONS = [m.value for m in Moderation]
PAUSES = {"collection running": None, "collection suspended an hour ago": -timedelta(hours=1)}
SIGNERS = {
    "an elector": {},
    "a child": {"child": True},
    "an inactive entry": {"active": False},
}


@dataclass(frozen=True)
class Case:
    status: str
    moderation: str
    paused: str
    opens: str
    closes: str
    signer: str

    def __str__(self) -> str:
        return (
            f"{self.status}, {self.moderation}, {self.paused}, {self.opens}, {self.closes}, "
            f"{self.signer}"
        )


def _possible(status: str, moderation: str, paused: str, opens: str, closes: str) -> bool:
    """The model's constraints: a collecting or closed initiative has both instants; an opening
    instant comes with any published status only; a closing instant follows the opening one; a
    suspended or unpublished collecting initiative has its collection suspended. Moderation and
    suspension are crossed with the collecting status only (elsewhere the status decides)."""
    if status != Status.COLLECTING and (moderation != Moderation.PUBLIC or PAUSES[paused]):
        return False
    if moderation != Moderation.PUBLIC and PAUSES[paused] is None:
        return False
    opened, closing = OPENS[opens] is not None, CLOSES[closes] is not None
    if status in (Status.COLLECTING, Status.CLOSED):
        return opened and closing
    if status in (Status.DRAFT, Status.SUBMITTED, Status.IN_REVIEW):
        return not opened and not closing
    return opened or not closing


CASES = [
    Case(status, moderation, paused, opens, closes, signer)
    for status, moderation, paused, opens, closes, signer in itertools.product(
        Status.values, MODERATIONS, PAUSES, OPENS, CLOSES, SIGNERS
    )
    if _possible(status, moderation, paused, opens, closes)
]


def _initiative(case: Case) -> Initiative:
    opens, closes, paused = OPENS[case.opens], CLOSES[case.closes], PAUSES[case.paused]
    initiative = InitiativeFactory(
        collecting=True
    )  # tracks, rungs and counts as a published initiative has
    stamps = {
        Status.CLOSED: "closed_at",
        Status.REJECTED: "rejected_at",
        Status.WITHDRAWN: "withdrawn_at",
    }
    fields = {
        "status": case.status,
        "published_at": None if opens is None else NOW + opens,
        "closes_at": None if closes is None else NOW + closes,
        "moderation": case.moderation,
        "moderated_at": None if case.moderation == Moderation.PUBLIC else NOW,
        "moderation_reason": "" if case.moderation == Moderation.PUBLIC else "Contenu illicite",
        "collection_paused_at": None if paused is None else NOW + paused,
        **{stamp: NOW if case.status == status else None for status, stamp in stamps.items()},
    }
    if case.status == Status.REJECTED:
        fields["rejection_reason"] = RejectionReason.objects.get_or_create(
            code="test", defaults={"label": "Test"}
        )[0]
    Initiative.objects.filter(pk=initiative.pk).update(**fields)
    initiative.refresh_from_db()
    return initiative


def _statement_writes(initiative: Initiative, entry: RegisterEntry) -> bool:
    """The real signing statement, its guard alone deciding (no Python check before it)."""
    facts = Signature._meta.get_field("facts").get_db_prep_save({}, connection)
    row = (
        initiative.pk,
        entry.pk,
        entry.identity_hash,
        "online",
        NOW,
        1,
        facts,
        entry.district_id,
        None,
        None,
        None,
    )
    return store.signature_insert_counted(row, slot=0) is not None


def _service_signs(initiative: Initiative, user: object) -> bool:
    try:
        services.signature_sign(initiative_id=initiative.pk, user=user)  # type: ignore[arg-type]
    except DomainError:
        return False
    return True


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_predicates_the_querysets_and_the_signing_statement_agree(freeze, case):
    freeze(NOW)
    initiative = _initiative(case)
    signer = ResidentFactory(register_entry=RegisterEntryFactory(**SIGNERS[case.signer]))
    predicates = [t.predicate for t in initiative.tracks.all()]

    is_open = rules.collection_open(
        status=initiative.status,
        closes_at=initiative.closes_at,
        now=NOW,
        moderation=initiative.moderation,
        paused_at=initiative.collection_paused_at,
    )
    may_sign = rules.may_sign(
        status=initiative.status,
        closes_at=initiative.closes_at,
        now=NOW,
        moderation=initiative.moderation,
        paused_at=initiative.collection_paused_at,
        entry=signer.register_entry,
        predicates=predicates,
        on=timezone.localdate(NOW),
    )

    in_open_q = Initiative.objects.filter(rules.collection_open_q(NOW), pk=initiative.pk).exists()
    in_closed_q = Initiative.objects.filter(
        rules.collection_closed_q(NOW), pk=initiative.pk
    ).exists()
    assert in_open_q == is_open
    # Due to close: collecting, not open, and its window not standing still (suspended).
    stands_still = initiative.collection_paused_at is not None
    assert in_closed_q == (
        initiative.status == Status.COLLECTING and not is_open and not stands_still
    )
    assert _service_signs(initiative, signer) == may_sign
    assert _statement_writes(initiative, RegisterEntryFactory()) == is_open


def test_the_table_holds_open_and_closed_cases_and_eligible_and_ineligible_signers():
    """The table is not vacuous: each predicate says yes and no somewhere in it."""
    collecting = [c for c in CASES if c.status == Status.COLLECTING]
    assert {c.closes for c in collecting} >= {"closes now", "closes in a microsecond"}
    assert {c.signer for c in collecting} == set(SIGNERS)
    assert {c.status for c in CASES} == set(Status.values)
    # Suspended and unpublished initiatives, and suspended collections, within an open window.
    within = [c for c in collecting if c.closes == "closes in a day" and c.signer == "an elector"]
    assert {(c.moderation, c.paused) for c in within} == {
        (Moderation.PUBLIC, "collection running"),
        (Moderation.PUBLIC, "collection suspended an hour ago"),
        (Moderation.SUSPENDED, "collection suspended an hour ago"),
        (Moderation.UNPUBLISHED, "collection suspended an hour ago"),
    }
