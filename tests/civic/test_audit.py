import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings

from civic.audit import GENESIS, audit_record, audit_verify, entry_digest
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


def test_postgres_refuses_truncate_of_the_audit_log_even_to_its_owner():
    from django.db import DatabaseError, transaction

    _three_entries()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("TRUNCATE civic_auditentry")
    assert AuditEntry.objects.count() == 3


CHAIN_KEY = "a-chain-key-kept-outside-the-database-0123456789"


def test_new_entries_are_keyed_and_old_ones_keep_verifying():
    old = _three_entries()
    with override_settings(AUDIT_CHAIN_KEY=CHAIN_KEY):
        new = _three_entries()
        assert [e.keyed for e in old + new] == [False] * 3 + [True] * 3
        assert new[0].prev_hash == old[-1].hash
        report = audit_verify()
        assert report.ok and report.checked == 6
    # Without the key a keyed entry cannot be checked: said, not passed.
    assert audit_verify().broken_at == new[0].id


def _recompute_from(entry_id: int, *, key: bytes | None) -> None:
    """What an operator with write access does after an edit: every later hash recomputed."""
    prev = AuditEntry.objects.filter(id__lt=entry_id).order_by("-id").first()
    prev_hash = prev.hash if prev else GENESIS
    for entry in AuditEntry.objects.filter(id__gte=entry_id).order_by("id"):
        digest = entry_digest(
            prev_hash=prev_hash,
            entry_id=entry.id,
            at=entry.at,
            actor_id=entry.actor_id,
            actor_label=entry.actor_label,
            verb=entry.verb,
            target_type=entry.target_type,
            target_id=entry.target_id,
            before=entry.before,
            after=entry.after,
            key=key,
        )
        _raw_update(
            "UPDATE civic_auditentry SET prev_hash = %s, hash = %s, keyed = %s WHERE id = %s",
            [prev_hash, digest, key is not None, entry.id],
        )
        prev_hash = digest


@override_settings(AUDIT_CHAIN_KEY=CHAIN_KEY)
def test_an_edit_with_every_later_hash_recomputed_without_the_key_is_detected():
    _first, second, _third = _three_entries()
    _raw_update("UPDATE civic_auditentry SET verb = 'thing.forged' WHERE id = %s", [second.id])
    _recompute_from(second.id, key=b"the-attacker-does-not-have-the-key")
    assert audit_verify().broken_at == second.id
    # Falling back to plain SHA-256 for the rewritten entries is refused too.
    _recompute_from(second.id, key=None)
    report = audit_verify()
    assert report.broken_at == second.id and "unkeyed" in report.reason
