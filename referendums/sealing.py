"""Sealed references: the re-voting link from a participation to its ballot, and its destruction.

Construction (standard library only; `cryptography` is not a declared dependency of the project):
encrypt-then-MAC with HMAC-SHA256 as the pseudo-random function.
- Two sub-keys per campaign key K: Ke = HMAC(K, "enc"), Km = HMAC(K, "mac").
- A fresh 16-byte random nonce N per seal.
- Keystream block i = HMAC(Ke, N || i) (counter mode over a PRF), XORed with the plaintext.
- Tag = HMAC(Km, "v1" || campaign id || N || ciphertext), checked in constant time before decrypting.
Output: urlsafe-base64(N || C || T). Plaintext: ballot UUID (16 bytes) || receipt digest (32 bytes).

The campaign key K is random (32 bytes) and stored wrapped: XORed with a key derived from the server
secret `IDENTITY_HASH_KEY` for that campaign. A database dump alone does not open the seals; a dump
plus the server secret does, which is why the close deletes K and nulls every seal in the same
transaction, before anything is counted (docs/threat-model.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

from django.conf import settings

NONCE_BYTES = 16
TAG_BYTES = 32
KEY_BYTES = 32
_VERSION = b"v1"


class SealBroken(Exception):
    """The tag does not match: the seal was altered or belongs to another campaign."""


@dataclass(frozen=True)
class Sealed:
    ballot_id: uuid.UUID
    receipt_digest: str  # hex SHA-256


def _prf(key: bytes, *parts: bytes) -> bytes:
    return hmac.new(key, b"".join(parts), hashlib.sha256).digest()


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (length + 31) // 32
    return b"".join(_prf(key, nonce, i.to_bytes(4, "big")) for i in range(blocks))[:length]


def _wrapping_key(campaign_id: int) -> bytes:
    return _prf(
        settings.IDENTITY_HASH_KEY.encode(), b"referendum-seal-wrap:", str(campaign_id).encode()
    )


def new_wrapped_key(campaign_id: int) -> str:
    key = secrets.token_bytes(KEY_BYTES)
    wrapped = bytes(a ^ b for a, b in zip(key, _wrapping_key(campaign_id), strict=True))
    return base64.urlsafe_b64encode(wrapped).decode()


def unwrap_key(campaign_id: int, wrapped: str) -> bytes:
    raw = base64.urlsafe_b64decode(wrapped.encode())
    return bytes(a ^ b for a, b in zip(raw, _wrapping_key(campaign_id), strict=True))


def seal(key: bytes, campaign_id: int, value: Sealed) -> str:
    plaintext = value.ballot_id.bytes + bytes.fromhex(value.receipt_digest)
    nonce = secrets.token_bytes(NONCE_BYTES)
    enc, mac = _prf(key, b"enc"), _prf(key, b"mac")
    ciphertext = bytes(
        a ^ b for a, b in zip(plaintext, _keystream(enc, nonce, len(plaintext)), strict=True)
    )
    tag = _prf(mac, _VERSION, str(campaign_id).encode(), b"|", nonce, ciphertext)
    return base64.urlsafe_b64encode(nonce + ciphertext + tag).decode()


def unseal(key: bytes, campaign_id: int, token: str) -> Sealed:
    try:
        raw = base64.urlsafe_b64decode(token.encode())
    except (ValueError, TypeError) as exc:
        raise SealBroken from exc
    if len(raw) != NONCE_BYTES + 48 + TAG_BYTES:
        raise SealBroken
    nonce, ciphertext, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    enc, mac = _prf(key, b"enc"), _prf(key, b"mac")
    expected = _prf(mac, _VERSION, str(campaign_id).encode(), b"|", nonce, ciphertext)
    if not hmac.compare_digest(tag, expected):
        raise SealBroken
    plaintext = bytes(
        a ^ b for a, b in zip(ciphertext, _keystream(enc, nonce, len(ciphertext)), strict=True)
    )
    return Sealed(uuid.UUID(bytes=plaintext[:16]), plaintext[16:].hex())


def receipt_new() -> str:
    """A code the voter keeps: 24 base32 characters (120 bits) in groups of four."""
    raw = base64.b32encode(secrets.token_bytes(15)).decode().rstrip("=")
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def receipt_normalise(code: str) -> str:
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    return "-".join(cleaned[i : i + 4] for i in range(0, len(cleaned), 4))


def receipt_digest(campaign_id: int, code: str) -> str:
    """Unkeyed on purpose: anyone holding the code recomputes it (tools/verify_ballot_box.py)."""
    return hashlib.sha256(f"{campaign_id}:{receipt_normalise(code)}".encode()).hexdigest()
