"""Who left the roll is struck off: by the import (bounded), or by a clerk; dated, audited and
reversible; from then on no longer eligible for anything new (CIVIC-RULES, "Strike-offs")."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from civic.eligibility import Predicate, eligible_entries
from civic.errors import Conflict
from civic.models import AuditEntry, RegisterEntry, RegisterStrikeOff, StrikeOffReason
from civic.services.register import ImportRejected, register_import
from civic.services.strike_offs import register_strike_off, register_strike_off_reverse
from civic.services.verification import VerificationFailed, resident_verify_by_match
from tests.factories import DistrictFactory, RegisterEntryFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADER = "ref,kind,last_name,first_names,birth_date,address,postcode,district,roll_number\n"
ROWS = {
    "A": "A,elector,Martin,Léa,1990-01-01,1 rue A,86000,centre,R1\n",
    "B": "B,elector,Durand,Paul,1970-01-01,2 rue B,86000,centre,R2\n",
    "C": "C,elector,Petit,Anne,1980-01-01,3 rue C,86000,centre,R3\n",
    "D": "D,elector,Moreau,Luc,1985-01-01,4 rue D,86000,centre,R4\n",
    "E": "E,resident,Roux,Eva,1995-01-01,5 rue E,86000,centre,\n",
}


@pytest.fixture(autouse=True)
def _district() -> None:
    DistrictFactory(code="centre", name="Centre")


@pytest.fixture
def bound(settings):  # type: ignore[no-untyped-def]
    settings.REGISTER_STRIKE_OFF_MAX_PERMILLE = 300  # 1 of 4 passes, 2 of 4 do not
    return settings


def _import(*refs: str, **kwargs):  # type: ignore[no-untyped-def]
    text = HEADER + "".join(ROWS[r] for r in refs)
    return register_import(
        stream=io.BytesIO(text.encode()), filename="roll.csv", actor=StaffFactory(), **kwargs
    )


def test_an_import_strikes_off_who_left_the_roll_dated_and_audited(bound):
    _import("A", "B", "C", "D")
    report = _import("A", "B", "C")
    assert report.applied and report.struck_off == 1
    gone = RegisterEntry.objects.get(ref="D")
    assert not gone.active and gone.struck_off_reason == StrikeOffReason.LEFT_ROLL
    assert gone.struck_off_at is not None
    record = RegisterStrikeOff.objects.get(entry=gone)
    assert record.register_import_id == report.import_id and record.reversed_at is None
    audit = AuditEntry.objects.filter(verb="register.import").latest("id")
    assert audit.after["struck_off"] == 1 and audit.after["strike_offs"] == [record.pk]
    assert RegisterEntry.objects.filter(active=True).count() == 3


def test_a_person_on_a_rejected_line_is_not_struck_off(bound):
    _import("A", "B", "C", "D")
    broken = ROWS["D"].replace("1985-01-01", "not-a-date")
    text = HEADER + ROWS["A"] + ROWS["B"] + ROWS["C"] + broken
    report = register_import(stream=io.BytesIO(text.encode()), filename="x.csv", actor=None)
    assert len(report.rejected) == 1 and report.struck_off == 0
    assert RegisterEntry.objects.get(ref="D").active


def test_an_import_striking_off_beyond_the_bound_is_refused_and_applies_nothing(bound):
    _import("A", "B", "C", "D")
    before = RegisterEntry.objects.count()
    with pytest.raises(ImportRejected) as refused:
        _import("A", "B", "E")  # E is new: the file is not applied at all
    assert refused.value.code == "strike_off_bound"
    assert RegisterEntry.objects.filter(active=True).count() == 4
    assert RegisterEntry.objects.count() == before and not RegisterStrikeOff.objects.exists()


def test_a_confirmed_import_beyond_the_bound_strikes_off(bound):
    _import("A", "B", "C", "D")
    report = _import("A", "B", confirm_strike_offs=True)
    assert report.struck_off == 2
    assert set(RegisterEntry.objects.filter(active=False).values_list("ref", flat=True)) == {
        "C",
        "D",
    }


def test_a_file_strikes_off_only_within_the_kinds_it_holds(bound):
    _import("A", "B", "C", "D", "E")
    report = _import("E")  # the resident register alone: the electors stay
    assert report.struck_off == 0
    assert RegisterEntry.objects.filter(active=True).count() == 5


def test_someone_back_in_a_later_file_is_reinstated(bound):
    _import("A", "B", "C", "D")
    _import("A", "B", "C")
    report = _import("A", "B", "C", "D")
    assert report.reinstated == 1
    entry = RegisterEntry.objects.get(ref="D")
    assert entry.active and entry.struck_off_at is None
    assert RegisterStrikeOff.objects.get(entry=entry).reversed_at is not None
    assert AuditEntry.objects.filter(verb="register.import").latest("id").after["reinstated"] == 1


def test_an_annulled_registration_is_not_undone_by_an_import(bound):
    _import("A", "B", "C", "D")
    entry = RegisterEntry.objects.get(ref="D")
    register_strike_off(entry_id=entry.pk, actor=StaffFactory(), reason=StrikeOffReason.ANNULLED)
    report = _import("A", "B", "C", "D")
    assert report.reinstated == 0
    entry.refresh_from_db()
    assert not entry.active and entry.struck_off_reason == StrikeOffReason.ANNULLED


def test_a_clerk_strikes_off_and_reverses_both_audited():
    entry = RegisterEntryFactory()
    clerk = StaffFactory()
    record = register_strike_off(
        entry_id=entry.pk, actor=clerk, reason=StrikeOffReason.LEFT_ROLL, note="moved"
    )
    entry.refresh_from_db()
    assert not entry.active and entry.struck_off_at == record.struck_off_at
    assert AuditEntry.objects.get(verb="register.strike_off").target_id == str(entry.pk)
    register_strike_off_reverse(strike_off_id=record.pk, actor=clerk, note="error")
    entry.refresh_from_db()
    assert entry.active and entry.struck_off_at is None and entry.struck_off_reason == ""
    record.refresh_from_db()
    assert record.reversed_at is not None and record.reversed_by == clerk
    assert AuditEntry.objects.filter(verb="register.strike_off_reverse").count() == 1


def test_striking_off_twice_or_reversing_twice_is_a_conflict():
    entry = RegisterEntryFactory()
    record = register_strike_off(entry_id=entry.pk, actor=None, reason=StrikeOffReason.LEFT_ROLL)
    with pytest.raises(Conflict) as twice:
        register_strike_off(entry_id=entry.pk, actor=None, reason=StrikeOffReason.LEFT_ROLL)
    assert twice.value.code == "already_struck_off"
    register_strike_off_reverse(strike_off_id=record.pk, actor=None)
    with pytest.raises(Conflict) as again:
        register_strike_off_reverse(strike_off_id=record.pk, actor=None)
    assert again.value.code == "strike_off_reversed"


def test_the_database_refuses_an_inactive_entry_without_a_dated_strike_off():
    entry = RegisterEntryFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        RegisterEntry.objects.filter(pk=entry.pk).update(active=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        RegisterEntry.objects.filter(pk=entry.pk).update(struck_off_at=timezone.now())


def test_a_struck_off_person_cannot_verify_an_account_nor_be_drawn():
    entry = RegisterEntryFactory(
        last_name="Lefèvre", first_names="Jeanne", birth_date=date(1961, 12, 31), roll_number="R9"
    )
    register_strike_off(entry_id=entry.pk, actor=None, reason=StrikeOffReason.LEFT_ROLL)
    with pytest.raises(VerificationFailed):
        resident_verify_by_match(
            user=UserFactory(),
            last_name="Lefèvre",
            first_names="Jeanne",
            birth_date=date(1961, 12, 31),
            roll_number="R9",
            client_address="192.0.2.9",
        )
    on = timezone.localdate()
    assert not eligible_entries(Predicate.RESIDENT_16, on=on).filter(pk=entry.pk).exists()


def test_the_deploy_check_warns_when_the_bound_never_refuses(settings):  # type: ignore[no-untyped-def]
    from civic.register_checks import check_strike_off_bound

    assert check_strike_off_bound() == []
    settings.REGISTER_STRIKE_OFF_MAX_PERMILLE = 1000
    assert [w.id for w in check_strike_off_bound()] == ["civic.W080"]


def test_the_deploy_check_finds_the_ladder_guard_triggers():
    from civic.register_checks import check_guard_triggers

    assert check_guard_triggers(databases=["default"]) == []
    with transaction.atomic():
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER petitions_rung_frozen ON petitions_rung")
        assert [w.id for w in check_guard_triggers(databases=["default"])] == ["civic.W081"]
        transaction.set_rollback(True)
