"""Bulk entry of paper signatures: same rules as one by one, at database speed."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import call_command

from civic.errors import Conflict, PermissionDenied
from civic.models import AuditEntry
from petitions import services
from petitions.models import InitiativeCount, PaperRejection, Signature
from petitions.services import PaperRow, paper_signatures_import
from tests.factories import RegisterEntryFactory, ResidentFactory
from tests.petitions.factories import CHARTER, LEGAL, InitiativeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def now(freeze):  # type: ignore[no-untyped-def]
    return freeze("2026-03-02 10:00")


def test_a_batch_is_entered_with_duplicates_and_unknowns_in_the_rejection_register(now, moderator):
    initiative = InitiativeFactory(collecting=True, instruments=[CHARTER, LEGAL])
    online = ResidentFactory()
    services.signature_sign(initiative_id=initiative.pk, user=online)
    good = [RegisterEntryFactory() for _ in range(5)]
    teen = RegisterEntryFactory(minor16=True)
    named = RegisterEntryFactory(
        last_name="Éluard", first_names="Paul", birth_date=date(1960, 2, 3)
    )
    rows = [
        *[PaperRow(register_ref=e.ref, sheet_ref=f"F1-L{i}") for i, e in enumerate(good)],
        PaperRow(register_ref=good[0].ref, sheet_ref="F2-L1"),  # twice in the batch
        PaperRow(register_ref=online.register_entry.ref),  # signed online
        PaperRow(register_ref="NOPE"),
        PaperRow(register_ref=RegisterEntryFactory(child=True).ref),
        PaperRow(register_ref=teen.ref),  # charter track only
        PaperRow(last_name="ELUARD", first_names="paul", birth_date=date(1960, 2, 3)),
    ]
    report = paper_signatures_import(initiative_id=initiative.pk, actor=moderator, rows=rows)
    assert report.rows == 11 and report.accepted == 7
    assert dict(report.rejected) == {"duplicate": 2, "not_on_register": 1, "not_eligible": 1}
    assert PaperRejection.objects.count() == 4
    assert Signature.objects.filter(channel="paper").count() == 7
    assert Signature.objects.get(register_entry=teen).track_mask == 0b01
    assert Signature.objects.get(register_entry=named).channel == "paper"
    services.counts_fold()
    counts = dict(
        InitiativeCount.objects.filter(initiative=initiative).values_list("track", "count")
    )
    assert counts == {-1: 8, 0: 8, 1: 7}
    assert services.counts_recount() == []
    assert AuditEntry.objects.filter(verb="signature.paper_imported").count() == 1


def test_the_quarter_limit_applies_to_a_batch(now, moderator):
    first = InitiativeFactory(collecting=True, instruments=[LEGAL])
    second = InitiativeFactory(collecting=True, instruments=[LEGAL])
    elector = ResidentFactory()
    services.signature_sign(initiative_id=first.pk, user=elector)
    report = paper_signatures_import(
        initiative_id=second.pk,
        actor=moderator,
        rows=[PaperRow(register_ref=elector.register_entry.ref)],
    )
    assert dict(report.rejected) == {"quarter_limit": 1}


def test_a_batch_after_the_close_is_refused_whole(freeze, moderator):
    freeze("2026-03-02 10:00")
    initiative = InitiativeFactory(collecting=True)
    freeze(initiative.closes_at)
    with pytest.raises(Conflict):
        paper_signatures_import(
            initiative_id=initiative.pk,
            actor=moderator,
            rows=[PaperRow(register_ref=RegisterEntryFactory().ref)],
        )
    assert Signature.objects.count() == 0


def test_only_moderators_import(now):
    initiative = InitiativeFactory(collecting=True)
    with pytest.raises(PermissionDenied):
        paper_signatures_import(initiative_id=initiative.pk, actor=ResidentFactory(), rows=[])


def test_the_command_reads_a_csv(now, moderator, tmp_path):
    initiative = InitiativeFactory(collecting=True)
    entries = [RegisterEntryFactory() for _ in range(3)]
    path = tmp_path / "feuilles.csv"
    path.write_text(
        "register_ref,sheet_ref\n"
        + "".join(f"{e.ref},F{i}\n" for i, e in enumerate(entries))
        + "X,F9\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    call_command(
        "import_paper_signatures",
        str(initiative.pk),
        str(path),
        "--actor",
        moderator.email,
        stdout=out,
    )
    assert '"accepted": 3' in out.getvalue() and '"not_on_register": 1' in out.getvalue()
