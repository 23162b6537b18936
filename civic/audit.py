"""Appending to and verifying the hash-chained audit log."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from civic.models import AuditEntry, AuditIdentity, User
from civic.store import audit_tail_lock

GENESIS = "0" * 64


def chain_key() -> bytes | None:
    """The chain's HMAC key, kept outside the database (AUDIT_CHAIN_KEY). Without it, whoever can
    write the table could recompute every hash after an edit; with it, they cannot forge a link."""
    key = getattr(settings, "AUDIT_CHAIN_KEY", "")
    return key.encode() if key else None


def actor_pseudonym(user_id: int) -> str:
    """The stable name an audit entry gives an account: a keyed hash of its id, so that entries
    of one actor stay linkable after the e-mail address is erased, and the chain never holds the
    address itself (civic.models.AuditIdentity keeps it, for a while)."""
    key = str(settings.IDENTITY_HASH_KEY).encode()
    return "u-" + hmac.new(key, f"audit-actor:{user_id}".encode(), hashlib.sha256).hexdigest()[:20]


def _remember_identity(pseudonym: str, email: str, at: datetime) -> None:
    AuditIdentity.objects.bulk_create(
        [AuditIdentity(pseudonym=pseudonym, email=email, last_seen_at=at)],
        update_conflicts=True,
        unique_fields=["pseudonym"],
        update_fields=["email", "last_seen_at"],
    )


def _canonical(value: Any) -> Any:
    """JSON round-trip so that what is hashed is exactly what the JSON column gives back."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True))


def entry_digest(
    *,
    prev_hash: str,
    entry_id: int,
    at: datetime,
    actor_id: int | None,
    actor_label: str,
    verb: str,
    target_type: str,
    target_id: str,
    before: Any,
    after: Any,
    key: bytes | None = None,
) -> str:
    """SHA-256 of the canonical entry; HMAC-SHA-256 under `key` for a keyed entry."""
    payload = json.dumps(
        [
            prev_hash,
            entry_id,
            at.astimezone(UTC).isoformat(timespec="microseconds"),
            actor_id,
            actor_label,
            verb,
            target_type,
            target_id,
            before,
            after,
        ],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    if key is not None:
        return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()
    return hashlib.sha256(payload.encode()).hexdigest()


def audit_record(
    *,
    actor: User | None,
    verb: str,
    target: Model | tuple[str, str | int],
    before: Any = None,
    after: Any = None,
) -> AuditEntry:
    """Append one entry. Call it inside the transaction of the change it records: the entry commits
    or rolls back with it. `target` is a model instance or a `(type, id)` pair."""
    if isinstance(target, Model):
        target_type, target_id = target._meta.label_lower, str(target.pk)
    else:
        target_type, target_id = target[0], str(target[1])
    actor_label = actor_pseudonym(actor.pk) if actor is not None else "system"
    with transaction.atomic():
        audit_tail_lock()  # the tail is ours until the transaction ends
        last = AuditEntry.objects.order_by("-id").values_list("id", "hash").first()
        prev_id, prev_hash = last if last else (0, GENESIS)
        # Ids are allocated under the lock, so they follow the chain order exactly.
        entry_id = prev_id + 1
        at = timezone.now()
        before_c, after_c = _canonical(before), _canonical(after)
        key = chain_key()
        if actor is not None:
            _remember_identity(actor_label, actor.email, at)
        digest = entry_digest(
            prev_hash=prev_hash,
            entry_id=entry_id,
            at=at,
            actor_id=actor.pk if actor is not None else None,
            actor_label=actor_label,
            verb=verb,
            target_type=target_type,
            target_id=target_id,
            before=before_c,
            after=after_c,
            key=key,
        )
        return AuditEntry.objects.create(
            id=entry_id,
            at=at,
            actor=actor,
            actor_label=actor_label,
            verb=verb,
            target_type=target_type,
            target_id=target_id,
            before=before_c,
            after=after_c,
            prev_hash=prev_hash,
            hash=digest,
            keyed=key is not None,
        )


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_at: int | None  # id of the first entry whose link fails
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def _entries(chunk: int = 2000) -> Iterator[AuditEntry]:
    last_id = 0
    while True:
        batch = list(AuditEntry.objects.filter(id__gt=last_id).order_by("id")[:chunk])
        if not batch:
            return
        yield from batch
        last_id = batch[-1].id


def audit_verify(*, start_after: int = 0) -> ChainReport:
    """Walk the chain in id order; report the first entry that was edited, inserted or follows a
    deleted one. Memory is flat: entries are read in chunks.

    Entries written before the chain was keyed stay plain SHA-256 (history is never rewritten); once
    a keyed entry appears, every later one must be keyed too, so a rewrite cannot fall back to the
    unkeyed hash that anyone can recompute."""
    key = chain_key()
    prev_hash, prev_id, checked, seen_keyed = GENESIS, 0, 0, False
    for entry in _entries():
        if entry.id <= start_after:
            prev_hash, prev_id = entry.hash, entry.id
            seen_keyed = seen_keyed or entry.keyed
            continue
        if seen_keyed and not entry.keyed:
            return ChainReport(checked, entry.id, "unkeyed entry after keyed ones")
        if entry.keyed and key is None:
            return ChainReport(checked, entry.id, "keyed entry but AUDIT_CHAIN_KEY is not set")
        if entry.id != prev_id + 1:
            return ChainReport(
                checked, entry.id, f"missing entries between #{prev_id} and #{entry.id}"
            )
        if entry.prev_hash != prev_hash:
            return ChainReport(checked, entry.id, "link to the previous entry does not match")
        expected = entry_digest(
            prev_hash=entry.prev_hash,
            entry_id=entry.id,
            at=entry.at,
            actor_id=entry.actor_id,
            actor_label=entry.actor_label,
            verb=entry.verb,
            target_type=entry.target_type,
            target_id=entry.target_id,
            before=entry.before,
            after=entry.after,
            key=key if entry.keyed else None,
        )
        if not hmac.compare_digest(entry.hash, expected):
            return ChainReport(checked, entry.id, "content does not match its hash")
        prev_hash, prev_id = entry.hash, entry.id
        seen_keyed = seen_keyed or entry.keyed
        checked += 1
    return ChainReport(checked, None)
