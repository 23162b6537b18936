"""civic.perf: the memo every app shares, and the token lookup's rows built without converters."""

from __future__ import annotations

import pytest
from django.db import connection

from civic.models import District, RegisterEntry, User
from civic.perf import Memo
from petitions.models import Initiative, RejectionReason


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_memo_answers_what_was_put_until_its_lifetime_ends():
    clock = Clock()
    memo: Memo[int, str] = Memo(ttl=5.0, clock=clock)
    memo.put(1, "a")
    clock.now += 4.9
    assert memo.get(1) == "a"
    clock.now += 0.2
    assert memo.get(1) is None


def test_a_memo_without_a_lifetime_keeps_until_forgotten_and_one_of_zero_keeps_nothing():
    memo: Memo[int, str] = Memo(ttl=None)
    memo.put(1, "a")
    memo.put(2, "b")
    memo.forget(1)
    assert (memo.get(1), memo.get(2)) == (None, "b")
    off: Memo[int, str] = Memo(ttl=0)
    off.put(1, "a")
    assert off.get(1) is None


def test_a_full_memo_starts_again_from_empty():
    memo: Memo[int, int] = Memo(ttl=None, max_entries=3)
    for key in range(3):
        memo.put(key, key)
    memo.put(0, 10)  # replacing a held key does not empty it
    assert len(memo) == 3
    memo.put(3, 3)
    assert len(memo) == 1 and memo.get(3) == 3 and memo.get(0) is None


def test_get_or_load_loads_once_and_does_not_remember_a_none():
    memo: Memo[int, str | None] = Memo(ttl=None)
    calls: list[int] = []

    def load() -> str | None:
        calls.append(1)
        return None if len(calls) == 1 else "x"

    assert memo.get_or_load(1, load) is None
    assert memo.get_or_load(1, load) == "x"
    assert memo.get_or_load(1, load) == "x"
    assert len(calls) == 2


def test_clear_every_empties_every_memo_of_the_process():
    first: Memo[int, int] = Memo(ttl=None)
    second: Memo[int, int] = Memo(ttl=60)
    first.put(1, 1)
    second.put(1, 1)
    Memo.clear_every()
    assert len(first) == len(second) == 0


@pytest.mark.parametrize("model", [User, RegisterEntry, District, Initiative, RejectionReason])
def test_the_hand_read_models_need_no_database_converter(model):
    """Why the token and session lookups and an initiative's page row (civic/store.py,
    petitions/store.py) hand their rows to `Model.from_db` as is: no field of these models
    converts what PostgreSQL's driver returns (the ORM would apply none either)."""
    converting = [
        f.name
        for f in model._meta.concrete_fields
        if connection.ops.get_db_converters(f.cached_col) or f.get_db_converters(connection)
    ]
    assert converting == []
