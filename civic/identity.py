"""Normalised identities and their keyed hashes.

Paper signatures are matched to register entries and online signatures through a keyed hash of the
normalised identity, so that de-duplication never needs names in clear and a leaked table of hashes
cannot be reversed by hashing a phone book without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from datetime import date

from django.conf import settings

_NON_LETTERS = re.compile(r"[^a-z0-9]+")


def normalise_name(value: str) -> str:
    """'  Marie-Hélène  d'Argent ' -> 'marie helene d argent' (accents, case, punctuation folded)."""
    decomposed = unicodedata.normalize("NFKD", value)
    ascii_only = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    return _NON_LETTERS.sub(" ", ascii_only).strip()


def normalise_address(value: str) -> str:
    return normalise_name(value)


def identity_hash(*, last_name: str, first_names: str, birth_date: date) -> str:
    message = "|".join(
        [normalise_name(last_name), normalise_name(first_names), birth_date.isoformat()]
    ).encode()
    return hmac.new(settings.IDENTITY_HASH_KEY.encode(), message, hashlib.sha256).hexdigest()


def keyed_digest(purpose: str, value: str) -> str:
    """A keyed digest for one purpose (the purpose separates keys: one digest never serves two)."""
    key = hmac.new(settings.IDENTITY_HASH_KEY.encode(), purpose.encode(), hashlib.sha256).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
