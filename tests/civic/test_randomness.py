"""The CSRF middleware's random strings (civic/perf/randomness.py): Django's format, each character
uniform over the alphabet (the bytes that would favour some are dropped)."""

from __future__ import annotations

import pytest
from django.middleware import csrf

from civic.perf import randomness


def test_the_csrf_middleware_draws_its_strings_from_one_read() -> None:
    assert csrf.get_random_string is randomness.random_string  # type: ignore[attr-defined]
    secret = csrf._get_new_csrf_string()
    assert len(secret) == csrf.CSRF_SECRET_LENGTH
    assert set(secret) <= set(csrf.CSRF_ALLOWED_CHARS)
    token = csrf._mask_cipher_secret(secret)  # type: ignore[attr-defined]
    assert len(token) == csrf.CSRF_TOKEN_LENGTH
    assert csrf._unmask_cipher_token(token) == secret  # type: ignore[attr-defined]


def test_each_byte_maps_to_one_character_and_the_biased_ones_are_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 62 characters: bytes 0-247 are kept as byte % 62, 248-255 would favour the first eight.
    reads = [bytes([0, 61, 62, 248, 255, 247, 123]), bytes([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])]
    sizes: list[int] = []

    def urandom(n: int) -> bytes:
        sizes.append(n)
        return reads.pop(0)

    monkeypatch.setattr(randomness.os, "urandom", urandom)
    alphabet = csrf.CSRF_ALLOWED_CHARS
    drawn = randomness.random_string(7, alphabet)
    # 0 -> a, 61 -> 9, 62 -> a, 248 and 255 dropped, 247 -> 247 % 62 = 61, 123 -> 61; then 1, 2.
    assert drawn == "a9a99bc"
    assert len(sizes) == 2


def test_the_alphabet_must_fit_a_byte() -> None:
    with pytest.raises(ValueError):
        randomness.random_string(4, "")
    assert randomness.random_string(5, "x") == "xxxxx"
