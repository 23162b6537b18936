import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from civic.audit import GENESIS, audit_record, audit_verify
from civic.models import AuditEntry
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def _three_entries() -> list[AuditEntry]:
    staff = StaffFactory(role="administrator")
    return [
        audit_record(actor=staff, verb="thing.create", target=("thing", 1), after={"n": 1}),
        audit_record(actor=None, verb="thing.close", target=("thing", 1), before={"n": 1}),
        audit_record(actor=staff, verb="thing.note", target=staff, after={"text": "é"}),
    ]


def _raw_update(sql: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE civic_auditentry DISABLE TRIGGER civic_auditentry_append_only")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE civic_auditentry ENABLE TRIGGER civic_auditentry_append_only")


def test_entries_chain_from_genesis_and_verify():
    first, second, third = _three_entries()
    assert first.prev_hash == GENESIS
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    report = audit_verify()
    assert report.ok and report.checked == 3


def test_an_edited_entry_is_reported_as_the_first_broken_link():
    _first, second, _third = _three_entries()
    _raw_update("UPDATE civic_auditentry SET verb = %s WHERE id = %s", ["thing.forged", second.id])
    report = audit_verify()
    assert report.broken_at == second.id
    assert "hash" in report.reason


def test_a_deleted_entry_is_detected():
    _first, second, third = _three_entries()
    _raw_update("DELETE FROM civic_auditentry WHERE id = %s", [second.id])
    report = audit_verify()
    assert report.broken_at == third.id


def test_verify_audit_command_fails_loudly_on_a_broken_chain(capsys):
    _first, second, _third = _three_entries()
    call_command("verify_audit")
    assert "3 entries" in capsys.readouterr().out
    _raw_update("UPDATE civic_auditentry SET after = %s WHERE id = %s", ['{"n": 2}', second.id])
    with pytest.raises(CommandError, match=f"#{second.id}"):
        call_command("verify_audit")


def test_postgres_refuses_update_and_delete_of_audit_rows():
    from django.db import DatabaseError, transaction

    entry = _three_entries()[0]
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(verb="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
