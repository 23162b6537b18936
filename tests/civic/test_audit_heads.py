"""The chain's heads published outside the database: signed lines in an append-only file, served at
/api/v1/audit/heads/, e-mailed to the auditors; `verify_audit --heads` fails on a rewrite."""

import json

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from civic.audit import audit_record
from civic.audit_checks import check_audit_anchoring
from civic.audit_heads import head_signature_ok, heads_publish, heads_read, public_key_hex
from civic.models import AuditEntry
from tests.civic.test_audit import CHAIN_KEY, _raw_update, _recompute_from

pytestmark = pytest.mark.django_db
SIGNING_KEY = "9c" * 32


@pytest.fixture
def heads_file(tmp_path):
    path = tmp_path / "published" / "heads.jsonl"
    with override_settings(
        AUDIT_CHAIN_KEY=CHAIN_KEY,
        AUDIT_SIGNING_KEY=SIGNING_KEY,
        AUDIT_HEADS_FILE=str(path),
        AUDITORS_EMAILS=["audit@ville.example.org", "cour@comptes.example.org"],
    ):
        yield path


def _entries(n: int) -> list[AuditEntry]:
    return [audit_record(actor=None, verb="thing.note", target=("thing", i)) for i in range(n)]


def test_the_head_is_published_signed_once_and_mailed_to_the_auditors(heads_file):
    entries = _entries(3)
    assert heads_publish() == 1
    assert heads_publish() == 0  # nothing new: nothing written, nothing sent
    (line,) = heads_read(heads_file)
    assert line["kind"] == "chain_head"
    assert (line["entry_id"], line["hash"], line["keyed"]) == (
        entries[-1].id,
        entries[-1].hash,
        True,
    )
    assert head_signature_ok(line, public_key_hex())
    assert not head_signature_ok({**line, "hash": "0" * 64}, public_key_hex())
    (sent,) = mail.outbox
    assert sent.to == ["audit@ville.example.org", "cour@comptes.example.org"]
    assert line["sig"] in sent.body and public_key_hex() in sent.body
    _entries(1)
    assert heads_publish() == 1
    assert len(heads_read(heads_file)) == 2  # appended, the first line untouched


def test_a_ballot_box_entry_is_published_with_its_digest(heads_file):
    audit_record(
        actor=None,
        verb="referendum.ballot_box_sealed",
        target=("referendums.campaign", 7),
        after={
            "campaign": 7,
            "box_sha256": "ab" * 32,
            "ballots": 3,
            "participations": 3,
            "electorate": 10,
        },
    )
    assert heads_publish() == 2
    box = next(line for line in heads_read(heads_file) if line["kind"] == "ballot_box")
    assert (box["campaign"], box["box_sha256"], box["ballots"]) == (7, "ab" * 32, 3)
    assert heads_publish() == 0  # each box once


def test_the_heads_endpoint_serves_the_file_and_the_public_key(heads_file, api):
    _entries(2)
    heads_publish()
    answer = api.get("/api/v1/audit/heads/")
    assert answer.status_code == 200
    body = answer.json()
    assert body["public_key"] == public_key_hex()
    assert body["heads"] == heads_read(heads_file)
    assert all(head_signature_ok(line, body["public_key"]) for line in body["heads"])


def test_the_heads_endpoint_answers_when_nothing_is_published(api):
    answer = api.get("/api/v1/audit/heads/")
    assert answer.status_code == 200 and answer.json()["heads"] == []


def test_verify_audit_fails_on_a_rewrite_that_the_chain_alone_cannot_see(heads_file, capsys):
    _first, second, _third = _entries(3)
    heads_publish()
    call_command("verify_audit", "--heads", str(heads_file))
    assert "1 lines match" in capsys.readouterr().out
    # The operator even holds the chain key: edits an entry and recomputes every later hash.
    _raw_update("UPDATE civic_auditentry SET verb = 'thing.forged' WHERE id = %s", [second.id])
    _recompute_from(second.id, key=CHAIN_KEY.encode())
    call_command("verify_audit")  # the chain alone is consistent again
    with pytest.raises(CommandError, match="REWRITTEN"):
        call_command("verify_audit", "--heads", str(heads_file))


def test_verify_audit_refuses_heads_signed_by_another_key(heads_file, tmp_path):
    _entries(2)
    heads_publish()
    lines = heads_read(heads_file)
    forged = tmp_path / "forged.jsonl"
    forged.write_text("\n".join(json.dumps({**line, "sig": "00" * 64}) for line in lines))
    with pytest.raises(CommandError, match="bad signature"):
        call_command("verify_audit", "--heads", str(forged))


def test_nothing_is_published_without_a_signing_key(tmp_path):
    with override_settings(AUDIT_SIGNING_KEY="", AUDIT_HEADS_FILE=str(tmp_path / "h.jsonl")):
        _entries(1)
        assert heads_publish() == 0


@pytest.mark.parametrize(
    ("setting", "value", "check_id"),
    [
        ("AUDIT_CHAIN_KEY", "", "civic.W050"),
        ("AUDIT_SIGNING_KEY", "", "civic.W051"),
        ("AUDIT_SIGNING_KEY", "not-hex", "civic.W051"),
        ("AUDIT_HEADS_FILE", "", "civic.W052"),
        ("AUDITORS_EMAILS", [], "civic.W055"),
    ],
)
def test_the_deploy_checks_name_each_missing_piece(heads_file, setting, value, check_id):
    ids = {m.id for m in check_audit_anchoring()}
    assert not ids & {"civic.W050", "civic.W051", "civic.W052", "civic.W055"}
    with override_settings(**{setting: value}):
        assert check_id in {m.id for m in check_audit_anchoring()}
