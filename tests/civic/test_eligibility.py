from datetime import date

import pytest

from civic.eligibility import (
    Predicate,
    birth_date_limit,
    decide,
    eligibility_facts,
    eligible_entries,
)
from tests.factories import RegisterEntryFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 23)


def test_an_elector_aged_16_plus_counts_for_the_charter_and_the_legal_tracks():
    facts = eligibility_facts(RegisterEntryFactory(), on=TODAY)
    assert facts == {
        "resident_16": True,
        "registered_elector": True,
        "municipal_elector": True,
        "eu_supplementary": False,
    }


def test_an_eu_national_on_the_supplementary_roll_votes_but_is_not_on_the_main_roll():
    entry = RegisterEntryFactory(eu=True)
    assert decide(entry, Predicate.MUNICIPAL_ELECTOR, on=TODAY).eligible
    assert decide(entry, Predicate.EU_SUPPLEMENTARY, on=TODAY).eligible
    refusal = decide(entry, Predicate.REGISTERED_ELECTOR, on=TODAY)
    assert (refusal.eligible, refusal.code, refusal.rule) == (False, "not_on_roll", "CGCT L1112-16")


def test_a_resident_not_on_any_roll_may_sign_charter_petitions_only():
    entry = RegisterEntryFactory(resident_only=True)
    assert decide(entry, Predicate.RESIDENT_16, on=TODAY).eligible
    assert not decide(entry, Predicate.MUNICIPAL_ELECTOR, on=TODAY).eligible


@pytest.mark.parametrize(
    ("birth", "eligible"),
    [(date(2010, 11, 23), True), (date(2010, 11, 24), False), (date(2012, 1, 1), False)],
)
def test_the_charter_age_is_reached_on_the_sixteenth_birthday(birth, eligible):
    entry = RegisterEntryFactory(resident_only=True, birth_date=birth)
    decision = decide(entry, Predicate.RESIDENT_16, on=TODAY)
    assert decision.eligible is eligible
    assert decision.code == ("eligible" if eligible else "too_young")


def test_someone_born_on_29_february_turns_16_on_1_march():
    assert birth_date_limit(age=16, on=date(2027, 2, 28)) == date(2011, 2, 28)
    assert birth_date_limit(age=16, on=date(2028, 2, 29)) == date(2012, 2, 29)
    assert birth_date_limit(age=1, on=date(2024, 2, 29)) == date(2023, 3, 1)


def test_an_inactive_entry_is_eligible_for_nothing():
    entry = RegisterEntryFactory(active=False)
    assert not any(eligibility_facts(entry, on=TODAY).values())
    assert decide(entry, Predicate.RESIDENT_16, on=TODAY).code == "inactive_entry"


def test_the_register_query_agrees_with_the_per_entry_decision():
    entries = [
        RegisterEntryFactory(),
        RegisterEntryFactory(eu=True),
        RegisterEntryFactory(resident_only=True),
        RegisterEntryFactory(resident_only=True, birth_date=date(2010, 11, 24)),
        RegisterEntryFactory(active=False),
    ]
    for predicate in Predicate:
        expected = {e.pk for e in entries if decide(e, predicate, on=TODAY).eligible}
        assert set(eligible_entries(predicate, on=TODAY).values_list("pk", flat=True)) == expected
