"""'May this person be drawn': one table of cases fed both to the predicate (one person) and to the
querysets that select the invitation sample and the pool (the whole register), so the two faces of
the rule cannot drift apart."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from assembly.models import Reserve
from assembly.rules import (
    drawable_entries,
    drawable_volunteers,
    may_be_drawn,
    volunteer_may_be_drawn,
)
from assembly.services import draw
from civic.eligibility import Predicate
from tests.assembly.factories import MandateFactory, MemberFactory, VolunteerFactory
from tests.factories import RegisterEntryFactory

pytestmark = pytest.mark.django_db

# (case, eligibility of the mandate, register entry traits, withdrawn, drawable?)
CASES: list[tuple[str, str, dict[str, Any], bool, bool]] = [
    ("elector, resident_16", Predicate.RESIDENT_16, {}, False, True),
    ("resident of 16, resident_16", Predicate.RESIDENT_16, {"minor16": True}, False, True),
    ("child, resident_16", Predicate.RESIDENT_16, {"child": True}, False, False),
    ("struck off, resident_16", Predicate.RESIDENT_16, {"active": False}, False, False),
    ("withdrawn, resident_16", Predicate.RESIDENT_16, {}, True, False),
    ("elector, registered_elector", Predicate.REGISTERED_ELECTOR, {}, False, True),
    ("EU elector, registered_elector", Predicate.REGISTERED_ELECTOR, {"eu": True}, False, False),
    ("EU elector, municipal_elector", Predicate.MUNICIPAL_ELECTOR, {"eu": True}, False, True),
    (
        "resident, municipal_elector",
        Predicate.MUNICIPAL_ELECTOR,
        {"resident_only": True},
        False,
        False,
    ),
    ("struck off, municipal_elector", Predicate.MUNICIPAL_ELECTOR, {"active": False}, False, False),
]


def _volunteer(eligibility: str, traits: dict[str, Any], withdrawn: bool):  # type: ignore[no-untyped-def]
    mandate = MandateFactory(recruiting=True, eligibility=eligibility)
    entry = RegisterEntryFactory(**traits)
    volunteer = VolunteerFactory(
        mandate=mandate,
        invitation__register_entry=entry,
        withdrawn_at=timezone.now() if withdrawn else None,
    )
    return mandate, entry, volunteer


@pytest.mark.parametrize(("case", "eligibility", "traits", "withdrawn", "drawable"), CASES)
def test_the_predicate_and_the_pool_query_agree_on_who_may_be_drawn(
    case: str, eligibility: str, traits: dict[str, Any], withdrawn: bool, drawable: bool
) -> None:
    mandate, entry, volunteer = _volunteer(eligibility, traits, withdrawn)
    today = timezone.localdate()
    decision = volunteer_may_be_drawn(volunteer, eligibility=eligibility, on=today)
    assert decision.eligible is drawable, case
    assert (volunteer in drawable_volunteers(mandate, on=today)) is drawable, case
    if not withdrawn:  # the register's face: who may be invited
        assert may_be_drawn(entry, eligibility=eligibility, on=today).eligible is drawable, case
        assert drawable_entries(eligibility, on=today).filter(pk=entry.pk).exists() is drawable


def test_an_unlinked_volunteer_may_not_be_drawn() -> None:
    mandate, _entry, volunteer = _volunteer(Predicate.RESIDENT_16, {}, False)
    volunteer.register_entry = None
    volunteer.save(update_fields=["register_entry"])
    decision = volunteer_may_be_drawn(
        volunteer, eligibility=mandate.eligibility, on=timezone.localdate()
    )
    assert (decision.eligible, decision.code) == (False, "unlinked_entry")
    assert not drawable_volunteers(mandate, on=timezone.localdate()).exists()


def test_a_refusal_names_the_rule_of_the_mandate() -> None:
    decision = may_be_drawn(
        RegisterEntryFactory(eu=True),
        eligibility=Predicate.REGISTERED_ELECTOR,
        on=timezone.localdate(),
    )
    assert (decision.code, decision.rule) == ("not_on_roll", "CGCT L1112-16")


def test_a_struck_off_reserve_is_passed_over_when_a_member_leaves(clerk) -> None:
    mandate = MandateFactory(seated=True, size=1)
    member = MemberFactory(mandate=mandate, seat=1)
    struck = VolunteerFactory(mandate=mandate, invitation__register_entry__active=False)
    next_in_line = VolunteerFactory(mandate=mandate)
    Reserve.objects.create(mandate=mandate, volunteer=struck, rank=1)
    Reserve.objects.create(mandate=mandate, volunteer=next_in_line, rank=2)
    left = draw.member_leave(member_id=member.pk, actor=clerk)
    assert left.replaced_by is not None
    assert left.replaced_by.volunteer == next_in_line


def test_nobody_takes_the_seat_when_every_reserve_is_struck_off(clerk) -> None:
    mandate = MandateFactory(seated=True, size=1)
    member = MemberFactory(mandate=mandate, seat=1)
    struck = VolunteerFactory(mandate=mandate, invitation__register_entry__active=False)
    Reserve.objects.create(mandate=mandate, volunteer=struck, rank=1)
    left = draw.member_leave(member_id=member.pk, actor=clerk)
    assert left.replaced_by is None
