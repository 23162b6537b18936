"""Codes of printed paper batches: 10 random symbols of Crockford's base32 (50 bits: not
guessable) and a Luhn mod 32 check symbol, which catches any single mistyped symbol and every swap
of two neighbours but 0 and Z, grouped 4-4-3 (`K7QM-2XWD-9TA`).

Reading back is forgiving in what a person or a scanner may send: lower case, spaces or no
hyphens, the letters O, I and L for 0, 1 and 1, or the whole address the form's QR code holds
(`...?lot=K7QM-2XWD-9TA`)."""

from __future__ import annotations

import re
import secrets
from urllib.parse import parse_qs, urlsplit

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
DATA_LENGTH = 10
QUERY_KEY = "lot"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-_.]+")


def check_symbol(data: str) -> str:
    """Luhn mod N (N = 32) over `data`, from its last symbol, doubling every other one."""
    total, factor, n = 0, 2, len(ALPHABET)
    for symbol in reversed(data):
        addend = factor * _VALUE[symbol]
        total += addend // n + addend % n
        factor = 3 - factor
    return ALPHABET[(n - total % n) % n]


def _grouped(symbols: str) -> str:
    return f"{symbols[:4]}-{symbols[4:8]}-{symbols[8:]}"


def new_code() -> str:
    data = "".join(secrets.choice(ALPHABET) for _ in range(DATA_LENGTH))
    return _grouped(data + check_symbol(data))


def _from_address(text: str) -> str:
    if "://" not in text and "?" not in text:
        return text
    values = parse_qs(urlsplit(text).query).get(QUERY_KEY)
    return values[0] if values else ""


def parse(text: str) -> str | None:
    """The code in its stored form, or None when `text` is not a well-formed code (wrong length,
    a symbol outside the alphabet, or a check symbol that does not match)."""
    symbols = _SEPARATORS.sub("", _from_address(text.strip())).upper().translate(_LOOKALIKES)
    if len(symbols) != DATA_LENGTH + 1 or any(s not in _VALUE for s in symbols):
        return None
    if check_symbol(symbols[:DATA_LENGTH]) != symbols[DATA_LENGTH]:
        return None
    return _grouped(symbols)
