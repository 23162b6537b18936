import threading
from datetime import date

import pytest
from django.db import connection
from django.utils import timezone

from civic.errors import Conflict, PermissionDenied
from civic.models import AuditEntry, User, VerificationMethod
from civic.services.verification import (
    VerificationFailed,
    resident_verify_at_desk,
    resident_verify_by_match,
)
from tests.factories import RegisterEntryFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry():
    return RegisterEntryFactory(
        last_name="Lefèvre",
        first_names="Hélène Marie",
        birth_date=date(1961, 12, 31),
        address="5 place du Maréchal Leclerc",
        roll_number="R0000006",
    )


def test_a_resident_is_verified_by_roll_number_whatever_the_accents_and_case(entry):
    user = UserFactory()
    resident_verify_by_match(
        user=user,
        last_name="LEFEVRE",
        first_names="helene-marie",
        birth_date=date(1961, 12, 31),
        roll_number="R0000006",
    )
    user.refresh_from_db()
    assert user.register_entry == entry
    assert user.verification_method == VerificationMethod.MATCH
    assert AuditEntry.objects.filter(verb="resident.verify.match", target_id=str(user.pk)).exists()


def test_a_resident_is_verified_by_address_when_they_have_no_roll_number(entry):
    user = UserFactory()
    resident_verify_by_match(
        user=user,
        last_name="Lefèvre",
        first_names="Hélène Marie",
        birth_date=date(1961, 12, 31),
        address="5, Place du Maréchal-Leclerc",
    )
    assert User.objects.get(pk=user.pk).is_verified


@pytest.mark.parametrize(
    "changes",
    [
        {"birth_date": date(1961, 12, 30)},
        {"roll_number": "R0000007"},
        {"last_name": "Lefebvre"},
        {"roll_number": "", "address": "6 place du Maréchal Leclerc"},
    ],
)
def test_a_wrong_identity_gets_one_neutral_refusal(entry, changes):
    user = UserFactory()
    data = {
        "last_name": "Lefèvre",
        "first_names": "Hélène Marie",
        "birth_date": date(1961, 12, 31),
        "roll_number": "R0000006",
        **changes,
    }
    with pytest.raises(VerificationFailed) as error:
        resident_verify_by_match(user=user, **data)
    assert error.value.code == "no_match"
    assert not User.objects.get(pk=user.pk).is_verified


def test_an_entry_claimed_by_one_account_cannot_be_claimed_by_another(entry):
    data = {
        "last_name": "Lefèvre",
        "first_names": "Hélène Marie",
        "birth_date": date(1961, 12, 31),
        "roll_number": "R0000006",
    }
    resident_verify_by_match(user=UserFactory(), **data)
    with pytest.raises(Conflict) as error:
        resident_verify_by_match(user=UserFactory(), **data)
    assert error.value.code == "entry_already_claimed"


def test_an_inactive_entry_cannot_be_claimed(entry):
    entry.active = False
    entry.struck_off_at, entry.struck_off_reason = timezone.now(), "left_roll"
    entry.save()
    with pytest.raises(VerificationFailed):
        resident_verify_by_match(
            user=UserFactory(),
            last_name="Lefèvre",
            first_names="Hélène Marie",
            birth_date=date(1961, 12, 31),
            roll_number="R0000006",
        )


def test_staff_verify_at_the_desk_and_it_is_audited(entry):
    agent = StaffFactory(role="moderator")
    user = UserFactory()
    resident_verify_at_desk(agent=agent, user_id=user.pk, entry_id=entry.pk)
    user.refresh_from_db()
    assert (user.register_entry, user.verification_method, user.verified_by) == (
        entry,
        VerificationMethod.DESK,
        agent,
    )
    audit = AuditEntry.objects.get(verb="resident.verify.desk")
    assert audit.actor == agent and audit.after["register_entry"] == entry.pk


@pytest.mark.parametrize("role", ["auditor", "assembly_clerk", None])
def test_desk_verification_is_refused_without_the_role(entry, role):
    agent = StaffFactory(role=role) if role else UserFactory()
    with pytest.raises(PermissionDenied):
        resident_verify_at_desk(agent=agent, user_id=UserFactory().pk, entry_id=entry.pk)


@pytest.mark.django_db(transaction=True)
def test_two_accounts_racing_for_one_entry_give_exactly_one_winner():
    for _round in range(10):
        entry = RegisterEntryFactory(birth_date=date(1970, 1, 1))
        users = [UserFactory(), UserFactory()]
        barrier = threading.Barrier(len(users))
        outcomes: list[str] = []

        def claim(user: User, entry=entry, barrier=barrier, outcomes=outcomes) -> None:
            try:
                barrier.wait()
                resident_verify_by_match(
                    user=user,
                    last_name=entry.last_name,
                    first_names=entry.first_names,
                    birth_date=entry.birth_date,
                    roll_number=entry.roll_number,
                )
                outcomes.append("won")
            except Conflict as exc:
                outcomes.append(exc.code)
            finally:
                connection.close()

        threads = [threading.Thread(target=claim, args=(u,)) for u in users]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["entry_already_claimed", "won"]
        assert User.objects.filter(register_entry=entry).count() == 1
