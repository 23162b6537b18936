import threading
from datetime import date

import pytest
from django.db import connection
from django.utils import timezone

from civic.errors import PermissionDenied
from civic.models import AuditEntry, User, VerificationMethod
from civic.services.verification import (
    VerificationFailed,
    resident_verify_at_desk,
    resident_verify_by_match,
)
from tests.factories import RegisterEntryFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

ADDRESS = "192.0.2.10"  # the client's address, as the views pass it


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
        client_address=ADDRESS,
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
        client_address=ADDRESS,
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
        resident_verify_by_match(client_address=ADDRESS, user=user, **data)
    assert error.value.code == "no_match"
    assert not User.objects.get(pk=user.pk).is_verified


def test_an_entry_claimed_by_one_account_cannot_be_claimed_by_another(entry):
    data = {
        "last_name": "Lefèvre",
        "first_names": "Hélène Marie",
        "birth_date": date(1961, 12, 31),
        "roll_number": "R0000006",
    }
    resident_verify_by_match(client_address=ADDRESS, user=UserFactory(), **data)
    with pytest.raises(VerificationFailed) as error:
        resident_verify_by_match(client_address=ADDRESS, user=UserFactory(), **data)
    # The answer of a wrong identity: a prober cannot tell a claimed entry from no entry.
    assert error.value.code == "no_match"


def test_an_inactive_entry_cannot_be_claimed(entry):
    entry.active = False
    entry.struck_off_at, entry.struck_off_reason = timezone.now(), "left_roll"
    entry.save()
    with pytest.raises(VerificationFailed):
        resident_verify_by_match(
            client_address=ADDRESS,
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
                    client_address=ADDRESS,
                    user=user,
                    last_name=entry.last_name,
                    first_names=entry.first_names,
                    birth_date=entry.birth_date,
                    roll_number=entry.roll_number,
                )
                outcomes.append("won")
            except VerificationFailed as exc:
                outcomes.append(exc.code)
            finally:
                connection.close()

        threads = [threading.Thread(target=claim, args=(u,)) for u in users]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["no_match", "won"]
        assert User.objects.filter(register_entry=entry).count() == 1


# --- one budget and one answer for every path (the page and the API) --------------------------


def _identity(entry, **changes):  # type: ignore[no-untyped-def]
    return {
        "last_name": entry.last_name,
        "first_names": entry.first_names,
        "birth_date": entry.birth_date.isoformat(),
        "roll_number": entry.roll_number,
        **changes,
    }


def _web(user, data, addr="10.8.0.1"):  # type: ignore[no-untyped-def]
    from django.test import Client

    client = Client(REMOTE_ADDR=addr)
    client.force_login(user)
    return client.post("/me/verify/", data)


def _api(user, data, addr="10.8.0.1"):  # type: ignore[no-untyped-def]
    from rest_framework.test import APIClient

    client = APIClient(REMOTE_ADDR=addr)
    client.force_authenticate(user)
    return client.post("/api/v1/me/verification/", data)


def _form_errors(response) -> list[str]:  # type: ignore[no-untyped-def]
    return list(response.context["form"].non_field_errors())


def test_the_web_form_is_rate_limited_like_the_api(settings, entry):
    settings.THROTTLE_VERIFICATION = "3/hour"
    prober = UserFactory()
    wrong = _identity(entry, roll_number="R9999999")
    answers = [_web(prober, wrong) for _ in range(3)]
    assert [r.status_code for r in answers] == [200, 200, 200]
    locked = _web(prober, _identity(entry))  # even the right identity: the budget is spent
    assert locked.status_code == 429
    assert "Trop de tentatives" in _form_errors(locked)[0]
    assert not User.objects.get(pk=prober.pk).is_verified


def test_the_page_and_the_api_share_one_budget_per_account(settings, entry):
    settings.THROTTLE_VERIFICATION = "3/hour"
    prober = UserFactory()
    wrong = _identity(entry, roll_number="R9999999")
    assert _web(prober, wrong, addr="10.8.1.1").status_code == 200
    assert _api(prober, wrong, addr="10.8.1.2").status_code == 400
    assert _web(prober, wrong, addr="10.8.1.3").status_code == 200
    refused = _api(prober, _identity(entry), addr="10.8.1.4")
    assert refused.status_code == 429 and refused.json()["code"] == "throttled"
    assert refused.json()["retry_after"] > 0
    assert _web(prober, _identity(entry), addr="10.8.1.5").status_code == 429


def test_one_address_cannot_spread_its_guesses_over_many_accounts(settings, entry):
    settings.THROTTLE_VERIFICATION_ADDRESS = "4/hour"
    wrong = _identity(entry, roll_number="R9999999")
    codes = [_web(UserFactory(), wrong, addr="10.8.2.1").status_code for _ in range(2)]
    codes += [_api(UserFactory(), wrong, addr="10.8.2.1").status_code for _ in range(2)]
    assert codes == [200, 200, 400, 400]
    assert _api(UserFactory(), _identity(entry), addr="10.8.2.1").status_code == 429
    assert _web(UserFactory(), _identity(entry), addr="10.8.2.1").status_code == 429
    # Another address still verifies.
    assert _api(UserFactory(), _identity(entry), addr="10.8.2.2").status_code == 200


def test_a_claimed_entry_and_a_missing_entry_get_one_answer_on_the_api(entry):
    assert _api(UserFactory(), _identity(entry), addr="10.8.3.1").status_code == 200
    claimed = _api(UserFactory(), _identity(entry))
    missing = _api(UserFactory(), _identity(entry, roll_number="R9999999"))
    assert claimed.status_code == missing.status_code == 400
    assert claimed.json() == missing.json()
    assert claimed.json()["code"] == "no_match"


def test_a_claimed_entry_and_a_missing_entry_get_one_answer_on_the_page(entry):
    assert _api(UserFactory(), _identity(entry), addr="10.8.3.1").status_code == 200
    claimed = _web(UserFactory(), _identity(entry))
    missing = _web(UserFactory(), _identity(entry, roll_number="R9999999"))
    assert claimed.status_code == missing.status_code == 200
    assert _form_errors(claimed) == _form_errors(missing)


def test_a_verified_account_gets_one_answer_whatever_identity_it_types(entry):
    other = RegisterEntryFactory()
    user = UserFactory()
    assert _api(user, _identity(other), addr="10.8.3.1").status_code == 200
    existing = _api(user, _identity(entry))
    missing = _api(user, _identity(entry, roll_number="R9999999"))
    assert existing.status_code == missing.status_code == 409
    assert existing.json() == missing.json()
    assert existing.json()["code"] == "already_verified"
