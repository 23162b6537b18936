"""Raw SQL of the referendums app lives in referendums/store.py only (migrations excepted)."""

from __future__ import annotations

import re
from pathlib import Path

import referendums

APP = Path(referendums.__file__).parent
RAW_SQL = re.compile(r"\bcursor\(|\.execute\(|\.raw\(|\bRawSQL\b", re.I)


def _modules() -> list[Path]:
    return [p for p in APP.rglob("*.py") if "migrations" not in p.parts]


def test_only_the_store_runs_hand_written_sql():
    offenders = [
        f"{path.relative_to(APP)}:{number}"
        for path in _modules()
        if path.name != "store.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if RAW_SQL.search(line)
    ]
    assert offenders == []


def test_the_check_would_see_a_cursor_outside_the_store():
    assert RAW_SQL.search("    with connection.cursor() as cursor:")
    assert RAW_SQL.search("Campaign.objects.raw('SELECT 1')")


def test_the_check_reads_the_store_itself():
    store = APP / "store.py"
    assert store in _modules()
    assert RAW_SQL.search(store.read_text())
