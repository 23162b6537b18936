"""The CSRF middleware's random strings from one draw of the operating system's generator.

Django makes a CSRF secret (a resident's first page) and masks it afresh for every form it shows
(`django.middleware.csrf`: `_get_new_csrf_string`, `_mask_cipher_secret`) with
`django.utils.crypto.get_random_string`, which draws each of the 32 characters separately through
`secrets.choice`: 32 calls of `SystemRandom`, each its own `os.urandom` read, about 140 µs of CPU a
string. A W12 resident needs three (the secret, the page's token, the redirect's token): about a
twentieth of the three requests' CPU.

`random_string` returns the same thing (`length` characters, each uniform over `allowed_chars`,
independent, from `os.urandom`, the source `SystemRandom` reads) from one read: each byte below the
largest multiple of the alphabet's size is kept as `byte % size`, the others are dropped (so no
character is likelier than another), and it reads again if too many were dropped. `install`
makes the CSRF middleware use it; nothing else changes (the token's length, alphabet, masking,
cookie and checks are Django's). tests/civic/test_randomness.py holds the mapping and the drops.
"""

from __future__ import annotations

import os

from django.middleware import csrf
from django.utils.crypto import RANDOM_STRING_CHARS


def random_string(length: int, allowed_chars: str = RANDOM_STRING_CHARS) -> str:
    """`length` characters, each uniform over `allowed_chars`, from the system's generator."""
    size = len(allowed_chars)
    if not 0 < size <= 256:
        raise ValueError("allowed_chars must hold 1 to 256 characters")
    limit = 256 - 256 % size  # bytes at or above it would favour the first characters
    chosen: list[str] = []
    while len(chosen) < length:
        # A quarter more than needed: for 62 characters 3 % of bytes are dropped, so one read
        # nearly always suffices.
        for byte in os.urandom(length - len(chosen) + length // 4 + 8):
            if byte < limit:
                chosen.append(allowed_chars[byte % size])
                if len(chosen) == length:
                    break
    return "".join(chosen)


def install() -> None:
    """The CSRF middleware's secrets and masks from `random_string` (CivicConfig.ready)."""
    csrf.get_random_string = random_string  # type: ignore[attr-defined]
