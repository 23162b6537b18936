import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from civic.models import AuditEntry, EntryKind, RegisterEntry, RegisterImport
from civic.services.register import ImportRejected, register_import
from tests.factories import DistrictFactory, StaffFactory

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[2] / "civic" / "samples" / "register_sample.csv"
HEADER = "ref,kind,last_name,first_names,birth_date,address,postcode,district,roll_number\n"


@pytest.fixture(autouse=True)
def districts():
    for code in ("centre", "couronneries", "trois-cites", "gibauderie", "saint-eloi"):
        DistrictFactory(code=code, name=code.title())


def _import(text: str, **kwargs):
    return register_import(
        stream=io.BytesIO(text.encode()), filename="roll.csv", actor=None, **kwargs
    )


def test_the_shipped_sample_imports_completely():
    with SAMPLE.open("rb") as stream:
        report = register_import(stream=stream, filename=SAMPLE.name, actor=StaffFactory())
    assert report.applied and report.rejected == []
    assert report.created == 6
    assert RegisterEntry.objects.filter(kind=EntryKind.EU_ELECTOR).count() == 1
    entry = RegisterEntry.objects.get(ref="E-000004")
    assert entry.kind == EntryKind.RESIDENT and entry.roll_number is None
    assert entry.district.code == "trois-cites"


def test_importing_the_same_file_twice_changes_nothing():
    text = SAMPLE.read_text()
    _import(text)
    before = list(RegisterEntry.objects.order_by("ref").values())
    second = _import(text)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 6)
    assert list(RegisterEntry.objects.order_by("ref").values()) == before


def test_a_changed_row_updates_the_entry_in_place():
    _import(SAMPLE.read_text())
    moved = SAMPLE.read_text().replace("3 rue Carnot,86000,centre", "9 rue Carnot,86000,gibauderie")
    report = _import(moved)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 5)
    assert RegisterEntry.objects.get(ref="E-000002").district.code == "gibauderie"


def test_every_rejected_row_is_reported_with_its_line_and_reason():
    text = HEADER + (
        "A1,elector,Martin,Léa,1990-01-01,1 rue A,86000,centre,R1\n"  # line 2: fine
        "A2,alien,Martin,Léa,1990-01-01,1 rue A,86000,centre,R2\n"  # 3: unknown kind
        "A3,elector,Martin,Léa,1990-13-01,1 rue A,86000,centre,R3\n"  # 4: bad date
        "A4,elector,Martin,Léa,1990-01-01,1 rue A,86000,atlantis,R4\n"  # 5: unknown district
        "A5,elector,Martin,Léa,1990-01-01,1 rue A,86000,centre,\n"  # 6: elector without roll
        "A6,resident,=HYPERLINK(1),Léa,1990-01-01,1 rue A,86000,centre,\n"  # 7: formula
        "A1,elector,Martin,Léa,1990-01-01,1 rue A,86000,centre,R9\n"  # 8: duplicate ref
        "A8,elector,Durand,Paul,1990-01-01,1 rue A,86000,centre,R1\n"  # 9: duplicate roll number
        "A9,elector,,Paul,1990-01-01,1 rue A,86000,centre,R10\n"  # 10: empty name
    )
    report = _import(text)
    assert report.applied
    assert [r["line"] for r in report.rejected] == [3, 4, 5, 6, 7, 8, 9, 10]
    reasons = " | ".join(r["reason"] for r in report.rejected)
    for fragment in (
        "alien",
        "1990-13-01",
        "atlantis",
        "numéro d'électeur",
        "caractère interdit",
        "en double",
        "last_name",
    ):
        assert fragment in reasons
    assert list(RegisterEntry.objects.values_list("ref", flat=True)) == ["A1"]
    assert RegisterImport.objects.get().rejected == report.rejected


def test_strict_mode_applies_nothing_when_one_row_is_rejected():
    text = (
        HEADER
        + "B1,elector,Martin,Léa,1990-01-01,1 rue A,86000,centre,R1\n"
        + ("B2,elector,Martin,Léa,not-a-date,1 rue A,86000,centre,R2\n")
    )
    report = _import(text, strict=True)
    assert not report.applied
    assert RegisterEntry.objects.count() == 0
    assert RegisterImport.objects.count() == 0
    assert not AuditEntry.objects.exists()


def test_a_file_without_the_required_columns_is_refused_whole():
    with pytest.raises(ImportRejected, match="birth_date"):
        _import("ref,kind,last_name,first_names,address,district\n1,elector,a,b,c,centre\n")
    assert RegisterEntry.objects.count() == 0


def test_a_file_that_is_not_utf8_is_refused():
    data = (HEADER + "C1,elector,Lefèvre,Léa,1990-01-01,1 rue A,86000,centre,R1\n").encode(
        "latin-1"
    )
    with pytest.raises(ImportRejected):
        register_import(stream=io.BytesIO(data), filename="x.csv", actor=None)


def test_a_roll_number_cannot_move_to_another_person():
    _import(HEADER + "D1,elector,Martin,Léa,1990-01-01,1 rue A,86000,centre,R1\n")
    report = _import(
        HEADER + "D2,elector,Durand,Paul,1970-01-01,2 rue B,86000,centre,R1\n",
        confirm_strike_offs=True,
    )
    assert report.created == 0 and len(report.rejected) == 1
    assert RegisterEntry.objects.get(roll_number="R1").ref == "D1"


def test_semicolon_separated_files_are_understood():
    text = SAMPLE.read_text().replace(",", ";")
    assert _import(text).created == 6


def test_each_applied_import_is_audited():
    _import(SAMPLE.read_text())
    entry = AuditEntry.objects.get(verb="register.import")
    assert entry.after["created"] == 6 and entry.after["rejected"] == 0


def test_the_import_command_reports_and_fails_in_strict_mode(tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_text(SAMPLE.read_text())
    call_command("import_register", str(good))
    assert "6 created" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "Z1,elector,Martin,Léa,1990-01-01,1 rue A,86000,nowhere,R77\n")
    with pytest.raises(CommandError):
        call_command("import_register", str(bad), "--strict")
    assert "line 2" in capsys.readouterr().err
