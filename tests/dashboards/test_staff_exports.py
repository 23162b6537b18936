"""Staff exports (CSV and XLSX): counts per district, printed batches, sheets and attendance; the
public statistics' small-cell rule in the scope that may leave the staff space; roles; audit."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from assembly.models import Attendance
from civic.models import AuditEntry
from dashboards.exports import suppressed
from petitions import services
from tests.assembly.factories import MemberFactory, SessionFactory
from tests.factories import DistrictFactory, RegisterEntryFactory, ResidentFactory, StaffFactory
from tests.petitions.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


def browser(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _csv(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


def _xlsx(response) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


@pytest.fixture
def petition(now):  # type: ignore[no-untyped-def]
    """Districts A (25 online), B (3 on paper, 1 rejected) and C (12 online); one batch."""
    moderator = StaffFactory(role="moderator")
    initiative = InitiativeFactory(collecting=True)
    # "A" to "C" sort before the initiator's district ("d00..."), which has no signature.
    a, b, c = DistrictFactory(code="A"), DistrictFactory(code="B"), DistrictFactory(code="C")
    for district, n in ((a, 25), (c, 12)):
        for _ in range(n):
            resident = ResidentFactory(register_entry__district=district)
            services.signature_sign(initiative_id=initiative.pk, user=resident)
    batch = services.paper_batch_issue(initiative_id=initiative.pk, actor=moderator, sheets=2)
    for line in range(1, 4):
        services.paper_signature_enter(
            initiative_id=initiative.pk,
            actor=moderator,
            register_entry_id=RegisterEntryFactory(district=b).pk,
            sheet_ref=f"F1-L{line}",
            batch_code=batch.code,
        )
    services.paper_signature_enter(
        initiative_id=initiative.pk,
        actor=moderator,
        register_entry_id=RegisterEntryFactory(district=b, child=True).pk,
        sheet_ref="F2-L1",
        batch_code=batch.code,
    )
    return initiative, batch, moderator


def _get(client, initiative, name, **params):  # type: ignore[no-untyped-def]
    return client.get(f"/tableau-de-bord/staff/exports/initiative/{initiative.pk}/{name}/", params)


def test_signatures_per_district_in_csv_and_xlsx_hide_small_cells_in_the_public_scope(petition):
    initiative, _batch, moderator = petition
    client = browser(moderator)
    exact = _csv(_get(client, initiative, "signatures-par-quartier", scope="internal"))
    assert [(r["district"], r["signatures"]) for r in exact][:3] == [
        ("A", "25"),
        ("B", "3"),
        ("C", "12"),
    ]
    assert "suppressed" not in exact[0]
    public = _csv(_get(client, initiative, "signatures-par-quartier", format="csv"))
    by_code = {r["district"]: r for r in public}
    # B's 3 is below the threshold; alone hidden, it would be found again from the total, so the
    # next smallest (C's 12) is hidden too, as on the public dashboard.
    assert by_code["B"]["signatures"] == "" and by_code["C"]["signatures"] == ""
    assert by_code["A"]["signatures"] == "25"
    assert by_code["B"]["suppressed"] == by_code["C"]["suppressed"] == "signatures"
    assert by_code["A"]["suppressed"] == ""
    sheet = _xlsx(_get(client, initiative, "signatures-par-quartier", format="xlsx"))
    assert [(r["district"], r["signatures"]) for r in sheet][:3] == [
        ("A", 25),
        ("B", None),
        ("C", None),
    ]
    response = _get(client, initiative, "signatures-par-quartier", format="xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Cache-Control"] == "private, no-store"


def test_batches_and_sheets_count_accepted_and_rejected_lines(petition):
    initiative, batch, moderator = petition
    client = browser(moderator)
    batches = _xlsx(_get(client, initiative, "lots-papier", format="xlsx", scope="internal"))
    assert batches == [
        {
            "batch": batch.code,
            "issued_on": "2026-03-02",
            "sheets": 2,
            "lines": 20,
            "accepted": 3,
            "rejected": 1,
        }
    ]
    sheets = _csv(_get(client, initiative, "feuilles-papier", scope="internal"))
    assert [(r["batch"], r["sheet"], r["accepted"], r["rejected"]) for r in sheets] == [
        (batch.code, "F1-L1", "1", "0"),
        (batch.code, "F1-L2", "1", "0"),
        (batch.code, "F1-L3", "1", "0"),
        (batch.code, "F2-L1", "0", "1"),
    ]
    public = _csv(_get(client, initiative, "lots-papier"))
    assert public[0]["accepted"] == "" and public[0]["rejected"] == ""
    assert public[0]["suppressed"] == "accepted rejected" and public[0]["sheets"] == "2"


def test_attendance_per_session_for_the_clerk_with_text_cells_kept_from_formulas(now):
    member = MemberFactory()
    session = SessionFactory(mandate=member.mandate, title="=HYPERLINK(1)", status="closed")
    clerk = StaffFactory(role="assembly_clerk")
    others = [MemberFactory(mandate=member.mandate) for _ in range(11)]
    for m, present in [(member, False), *((o, True) for o in others)]:
        Attendance.objects.create(
            session=session,
            member=m,
            present=present,
            recorded_at=timezone.now(),
            recorded_by=clerk,
        )
    client = browser(clerk)
    url = f"/tableau-de-bord/staff/exports/mandate/{member.mandate.pk}/presences/"
    exact = _xlsx(client.get(url, {"format": "xlsx", "scope": "internal"}))
    assert [(r["title"], r["present"], r["absent"]) for r in exact] == [("'=HYPERLINK(1)", 11, 1)]
    public = _csv(client.get(url))
    # One absent is a small cell; 11 present would give it back (the members are public).
    assert (public[0]["present"], public[0]["absent"]) == ("", "")
    assert public[0]["suppressed"] == "present absent"
    page = client.get(f"/tableau-de-bord/staff/exports/mandate/{member.mandate.pk}/")
    assert page.status_code == 200 and "presences" in page.content.decode()
    clerk_page = client.get(f"/assembly/greffe/{member.mandate.pk}/").content.decode()
    assert f"/tableau-de-bord/staff/exports/mandate/{member.mandate.pk}/" in clerk_page


def test_every_download_is_audited_with_what_and_how(petition):
    initiative, _batch, moderator = petition
    _get(browser(moderator), initiative, "feuilles-papier", format="xlsx", scope="internal")
    entry = AuditEntry.objects.get(verb="staff_export.downloaded")
    assert entry.actor == moderator
    assert entry.after == {"export": "feuilles-papier", "format": "xlsx", "scope": "internal"}


@pytest.mark.parametrize(
    ("role", "public", "internal"),
    [
        ("moderator", 200, 200),
        ("administrator", 200, 200),
        ("auditor", 200, 404),
        ("campaign_manager", 404, 404),
        ("assembly_clerk", 404, 404),
        (None, 404, 404),
    ],
)
def test_who_may_download_the_initiative_exports(petition, role, public, internal):
    initiative, _batch, _moderator = petition
    client = browser(StaffFactory(role=role) if role else ResidentFactory())
    for name in ("signatures-par-quartier", "lots-papier", "feuilles-papier"):
        assert _get(client, initiative, name).status_code == public
        assert _get(client, initiative, name, scope="internal").status_code == internal
    listing = client.get(f"/tableau-de-bord/staff/exports/initiative/{initiative.pk}/")
    assert listing.status_code == public
    audited = AuditEntry.objects.filter(verb="staff_export.downloaded").count()
    assert audited == (3 if public == 200 else 0) + (3 if internal == 200 else 0)


@pytest.mark.parametrize("role", ["moderator", "campaign_manager", None])
def test_who_may_not_download_attendance(now, role):
    mandate = SessionFactory().mandate
    client = browser(StaffFactory(role=role) if role else ResidentFactory())
    url = f"/tableau-de-bord/staff/exports/mandate/{mandate.pk}/presences/"
    assert client.get(url).status_code == 404
    assert not AuditEntry.objects.filter(verb="staff_export.downloaded").exists()


def test_anonymous_visitors_are_sent_to_log_in(petition):
    initiative, _batch, _moderator = petition
    response = _get(Client(), initiative, "lots-papier")
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_bad_format_or_scope_is_a_400_that_says_what_is_offered_and_audits_nothing(petition):
    initiative, _batch, moderator = petition
    client = browser(moderator)
    bad_format = _get(client, initiative, "lots-papier", format="pdf")
    assert bad_format.status_code == 400 and "csv ou xlsx" in bad_format.content.decode()
    bad_scope = _get(client, initiative, "lots-papier", scope="everything")
    assert bad_scope.status_code == 400 and "public" in bad_scope.content.decode()
    assert _get(client, initiative, "no-such-export").status_code == 404
    mismatched = client.get(f"/tableau-de-bord/staff/exports/mandate/{initiative.pk}/lots-papier/")
    assert mismatched.status_code == 404
    assert not AuditEntry.objects.filter(verb="staff_export.downloaded").exists()


@pytest.mark.parametrize(
    ("rows", "hidden"),
    [
        # Nothing small: nothing hidden.
        ([{"a": 20, "b": 30}, {"a": 40, "b": 50}], [[], []]),
        # A small cell hides its row's other count; the column then holds one hidden cell, so its
        # next smallest goes too, and that row's other count with it.
        ([{"a": 3, "b": 30}, {"a": 40, "b": 50}, {"a": 60, "b": 70}], [["a", "b"], ["a", "b"], []]),
        # Zeros are shown, as on the public dashboard.
        ([{"a": 0, "b": 0}, {"a": 40, "b": 50}], [[], []]),
    ],
)
def test_the_public_scope_hides_small_cells_and_what_would_give_them_back(settings, rows, hidden):
    settings.SMALL_CELL_THRESHOLD = 10
    out = suppressed(rows, ["a", "b"])
    assert [r["suppressed"].split() for r in out] == hidden
    for row, names in zip(out, hidden, strict=True):
        assert all(row[n] is None for n in names)
