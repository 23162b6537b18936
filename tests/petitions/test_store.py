"""Raw SQL of the petitions app lives in petitions/store.py only (migrations aside)."""

from __future__ import annotations

import re
from pathlib import Path

import petitions

ROOT = Path(petitions.__file__).parent
RAW = re.compile(r"\.cursor\(|\.execute\(|\.raw\(|\bRawSQL\b|prepared_cursor")


def _offenders(files: list[Path]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{number}"
        for path in files
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if RAW.search(line)
    ]


def _application_modules() -> list[Path]:
    return [p for p in ROOT.rglob("*.py") if "migrations" not in p.parts and p.name != "store.py"]


def test_no_petitions_module_but_the_store_runs_sql_by_hand():
    assert _offenders(_application_modules()) == []


def test_the_check_finds_a_cursor_opened_outside_the_store(tmp_path):
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("with connection.cursor() as c:\n    c.execute('SELECT 1')\n")
    assert RAW.search(sneaky.read_text())


def test_the_check_finds_raw_querysets_and_rawsql():
    assert RAW.search("Initiative.objects.raw('SELECT 1')")
    assert RAW.search("annotate(x=RawSQL('1', []))")
    assert not RAW.search("Initiative.objects.filter(pk=1)")
