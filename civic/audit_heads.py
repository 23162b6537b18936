"""The audit chain anchored outside the database: signed heads in an append-only file.

Each line of AUDIT_HEADS_FILE is one JSON record, signed with Ed25519 under AUDIT_SIGNING_KEY (a
key the database never sees):
- `chain_head`: the last entry of the chain (id and hash) when the line was written (daily, and at
  each close of a vote);
- `ballot_box`: a sealed ballot box (campaign, box digest, ballots, participations, electorate) and
  the chain entry that recorded it at the close.

The file is written by the worker, served read-only at /api/v1/audit/heads/ and e-mailed to the
auditors (AUDITORS_EMAILS), so a copy sits where the database operator cannot reach. Whoever later
rewrites the chain or a ballot box, even consistently, no longer matches a published line:
`manage.py verify_audit --heads FILE` and `tools/verify_ballot_box.py --heads FILE` say so.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from civic.models import AuditEntry

logger = logging.getLogger(__name__)

HEADS_FORMAT = "civic-audit-heads/1"
BALLOT_BOX_VERB = "referendum.ballot_box_sealed"


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def signing_key() -> Ed25519PrivateKey | None:
    seed = getattr(settings, "AUDIT_SIGNING_KEY", "")
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed)) if seed else None


def public_key_hex(key: Ed25519PrivateKey | None = None) -> str | None:
    key = key or signing_key()
    if key is None:
        return None
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def heads_path() -> Path | None:
    path = getattr(settings, "AUDIT_HEADS_FILE", "")
    return Path(path) if path else None


def head_sign(record: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """The record with its signature: Ed25519 over the canonical JSON of every other field."""
    body = {k: v for k, v in record.items() if k != "sig"}
    return {**body, "sig": key.sign(canonical(body).encode()).hex()}


def head_signature_ok(line: dict[str, Any], public_key: str) -> bool:
    body = {k: v for k, v in line.items() if k != "sig"}
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key)).verify(
            bytes.fromhex(str(line.get("sig", ""))), canonical(body).encode()
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def heads_read(path: Path | None = None) -> list[dict[str, Any]]:
    path = path or heads_path()
    if path is None or not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _append(path: Path, lines: list[str]) -> None:
    """Append whole lines under an exclusive lock, then fsync: a line is written once, complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, "".join(line + "\n" for line in lines).encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def _pending_records(published: list[dict[str, Any]], now: str) -> list[dict[str, Any]]:
    boxes_done = {line["campaign"] for line in published if line.get("kind") == "ballot_box"}
    records: list[dict[str, Any]] = []
    for entry in AuditEntry.objects.filter(verb=BALLOT_BOX_VERB).order_by("id"):
        after = entry.after or {}
        if after.get("campaign") in boxes_done:
            continue
        records.append(
            {
                "format": HEADS_FORMAT,
                "kind": "ballot_box",
                "published_at": now,
                "entry_id": entry.id,
                "hash": entry.hash,
                **{
                    k: after.get(k)
                    for k in (
                        "campaign",
                        "box_sha256",
                        "ballots",
                        "participations",
                        "electorate",
                    )
                },
            }
        )
    last = AuditEntry.objects.order_by("-id").values("id", "hash", "keyed").first()
    heads = [line for line in published if line.get("kind") == "chain_head"]
    if last is not None and (not heads or heads[-1].get("entry_id") != last["id"]):
        records.append(
            {
                "format": HEADS_FORMAT,
                "kind": "chain_head",
                "published_at": now,
                "entry_id": last["id"],
                "hash": last["hash"],
                "keyed": last["keyed"],
            }
        )
    return records


def heads_publish() -> int:
    """Append the chain's head (if it moved) and every ballot box not yet published; e-mail them to
    the auditors. Idempotent: a repeated run with nothing new writes nothing. Returns lines written."""
    key, path = signing_key(), heads_path()
    if key is None or path is None:
        logger.warning("audit heads not published: AUDIT_SIGNING_KEY or AUDIT_HEADS_FILE unset")
        return 0
    now = timezone.now().isoformat(timespec="seconds")
    records = [head_sign(r, key) for r in _pending_records(heads_read(path), now)]
    if not records:
        return 0
    lines = [canonical(r) for r in records]
    _append(path, lines)
    recipients = list(getattr(settings, "AUDITORS_EMAILS", []))
    if recipients:
        body = (
            f"Public key (Ed25519): {public_key_hex(key)}\n"
            f"Append these lines to your copy of the audit heads:\n\n" + "\n".join(lines) + "\n"
        )
        try:
            send_mail(f"Audit heads {now}", body, None, recipients)
        except OSError:
            # The lines are in the file (and served); the next run does not resend them.
            logger.exception("audit heads: the e-mail to the auditors failed")
    return len(lines)


@dataclass
class HeadsReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def heads_verify(lines: list[dict[str, Any]], *, public_key: str | None) -> HeadsReport:
    """Each published line is well signed and still matches the chain in the database."""
    report = HeadsReport()
    public_key = public_key or public_key_hex()
    if public_key is None:
        report.problems.append("no public key to check the signatures (AUDIT_SIGNING_KEY unset)")
        return report
    ids = {int(line.get("entry_id", 0)) for line in lines}
    in_db = dict(AuditEntry.objects.filter(id__in=ids).values_list("id", "hash"))
    afters = dict(
        AuditEntry.objects.filter(id__in=ids, verb=BALLOT_BOX_VERB).values_list("id", "after")
    )
    for number, line in enumerate(lines, start=1):
        if not head_signature_ok(line, public_key):
            report.problems.append(f"line {number}: bad signature")
            continue
        entry_id = int(line.get("entry_id", 0))
        if in_db.get(entry_id) != line.get("hash"):
            report.problems.append(
                f"line {number}: entry #{entry_id} no longer has the published hash"
            )
            continue
        if line.get("kind") == "ballot_box":
            after = afters.get(entry_id) or {}
            if after.get("box_sha256") != line.get("box_sha256"):
                report.problems.append(f"line {number}: ballot box digest differs")
                continue
        report.checked += 1
    return report
