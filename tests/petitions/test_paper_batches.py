"""Printed paper forms: a PDF per batch whose code (printed, and in the QR code's address) is read
back at paper entry and attaches each entered line to its batch; who may print; bad codes."""

from __future__ import annotations

import io
import re

import pytest
from django.db import IntegrityError, transaction
from django.db.models import RestrictedError
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from civic.errors import Conflict, DomainError, NotFound, PermissionDenied
from civic.models import AuditEntry
from petitions import batch_code, services
from petitions.models import PaperBatch, PaperBatchSignature, PaperRejection, Signature, Status
from tests.factories import RegisterEntryFactory, ResidentFactory, StaffFactory
from tests.petitions.factories import CHARTER, LEGAL, InitiativeFactory

pytestmark = pytest.mark.django_db
CODE = re.compile(r"\b[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{3}\b")


@pytest.fixture
def now(freeze):  # type: ignore[no-untyped-def]
    return freeze("2026-03-02 10:00")


def browser(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def _print(client: Client, initiative, sheets: int = 2):  # type: ignore[no-untyped-def]
    response = client.post(f"/initiatives/{initiative.pk}/paper/forms/", {"sheets": sheets})
    assert response.status_code == 302
    batch = PaperBatch.objects.get(initiative=initiative)
    pdf = client.get(f"/initiatives/{initiative.pk}/paper/forms/{batch.pk}.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf["Cache-Control"] == "private, no-store"
    return batch, pdf.content


# --- The code ------------------------------------------------------------------------------


def test_a_code_reads_back_typed_loosely_or_from_the_qr_address_and_a_typo_is_caught():
    code = batch_code.new_code()
    assert batch_code.parse(code) == code
    assert batch_code.parse(f"  {code.lower().replace('-', ' ')} ") == code
    assert batch_code.parse(f"https://ville.example/initiatives/4/?lot={code}") == code
    symbols = code.replace("-", "")
    for i in range(len(symbols)):
        for other in batch_code.ALPHABET:
            if other != symbols[i]:
                assert batch_code.parse(symbols[:i] + other + symbols[i + 1 :]) is None
    for bad in ("", "ABCD", code + "7", "https://ville.example/initiatives/4/", "ÉÉÉÉ-ÉÉÉÉ-ÉÉÉ"):
        assert batch_code.parse(bad) is None


def test_codes_are_random_and_the_database_holds_uniqueness_and_format(now, moderator):
    initiative = InitiativeFactory(collecting=True)
    codes = {
        services.paper_batch_issue(initiative_id=initiative.pk, actor=moderator, sheets=1).code
        for _ in range(20)
    }
    assert len(codes) == 20
    with pytest.raises(IntegrityError), transaction.atomic():
        PaperBatch.objects.filter(code=next(iter(codes))).update(code="NOT-A-CODE")
    with pytest.raises(IntegrityError), transaction.atomic():
        PaperBatch.objects.filter(code=next(iter(codes))).update(sheets=0)


# --- End to end: print, read the code back, enter --------------------------------------------


def test_the_printed_code_and_the_qr_address_read_back_at_paper_entry_attach_to_the_batch(
    now, moderator
):
    initiative = InitiativeFactory(
        collecting=True, instruments=[CHARTER, LEGAL], title="Un préau pour l'école Cœur-Vaillant"
    )
    client = browser(moderator)
    batch, pdf = _print(client, initiative, sheets=3)
    text = _pdf_text(pdf)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 3
    assert "Un préau pour l'école Cœur-Vaillant" in text  # accents kept
    assert "Résidents de 16 ans ou plus" in text and "CGCT L1112-16" in text  # who may sign
    assert "F3-L10" in text and "Prénoms" in text and "naissance" in text  # lines, fields
    printed = set(CODE.findall(text))
    assert printed == {batch.code}
    address = re.search(r"https?://\S+\?lot=\S+", text)
    assert address is not None  # the QR code's payload, printed in the footer too

    first, second = RegisterEntryFactory(), RegisterEntryFactory()
    child = RegisterEntryFactory(child=True)
    url = f"/initiatives/{initiative.pk}/paper/"
    typed = client.post(
        url, {"register_ref": first.ref, "sheet_ref": "F1-L1", "batch_code": printed.pop()}
    )
    assert typed.status_code == 302 and f"lot={batch.code}" in typed["Location"]
    assert batch.code in client.get(typed["Location"]).content.decode()  # kept for the next line
    scanned = client.post(
        url, {"register_ref": second.ref, "sheet_ref": "F1-L2", "batch_code": address.group(0)}
    )
    assert scanned.status_code == 302
    client.post(url, {"register_ref": child.ref, "sheet_ref": "F1-L3", "batch_code": batch.code})

    links = PaperBatchSignature.objects.filter(batch=batch).order_by("sheet_ref")
    assert [(link.signature.register_entry_id, link.sheet_ref) for link in links] == [
        (first.pk, "F1-L1"),
        (second.pk, "F1-L2"),
    ]
    assert PaperRejection.objects.get().batch == batch
    issued = AuditEntry.objects.get(verb="paper_batch.issued")
    assert issued.actor == moderator and issued.after["code"] == batch.code
    entered = AuditEntry.objects.filter(verb="signature.paper_entered")
    assert {e.after["batch"] for e in entered} == {batch.code}


# --- Bad input: nothing changes ---------------------------------------------------------------


def test_an_unknown_another_initiatives_or_malformed_code_is_refused_and_changes_nothing(
    now, moderator
):
    mine = InitiativeFactory(collecting=True)
    other = InitiativeFactory(collecting=True)
    theirs = services.paper_batch_issue(initiative_id=other.pk, actor=moderator, sheets=1)
    entry = RegisterEntryFactory()
    unknown = batch_code.new_code()
    while unknown == theirs.code:  # pragma: no cover - 2^-50
        unknown = batch_code.new_code()
    typo = theirs.code[:-1] + ("0" if theirs.code[-1] != "0" else "1")
    client = browser(moderator)
    cases = [
        (unknown, "paper_batch_unknown", NotFound, "Aucun lot imprimé"),
        (theirs.code, "paper_batch_other_initiative", Conflict, "autre initiative"),
        (typo, "paper_batch_code_malformed", DomainError, "mal formé"),
        ("lot 12", "paper_batch_code_malformed", DomainError, "mal formé"),
    ]
    for code, error, kind, message in cases:
        with pytest.raises(kind) as caught:
            services.paper_signature_enter(
                initiative_id=mine.pk, actor=moderator, register_entry_id=entry.pk, batch_code=code
            )
        assert caught.value.code == error
        page = client.post(
            f"/initiatives/{mine.pk}/paper/", {"register_ref": entry.ref, "batch_code": code}
        )
        assert page.status_code == 200 and message in page.content.decode()
    assert not Signature.objects.exists() and not PaperRejection.objects.exists()
    assert not PaperBatchSignature.objects.exists()
    assert not AuditEntry.objects.filter(verb__startswith="signature.").exists()


def test_the_sheet_count_is_bounded_and_only_initiatives_in_review_or_collecting_print(
    now, moderator
):
    draft = InitiativeFactory()
    with pytest.raises(Conflict):
        services.paper_batch_issue(initiative_id=draft.pk, actor=moderator, sheets=5)
    initiative = InitiativeFactory(collecting=True)
    for sheets in (0, 201):
        with pytest.raises(DomainError):
            services.paper_batch_issue(initiative_id=initiative.pk, actor=moderator, sheets=sheets)
    page = browser(moderator).post(f"/initiatives/{initiative.pk}/paper/forms/", {"sheets": 0})
    assert page.status_code == 200
    assert not PaperBatch.objects.exists()
    assert not AuditEntry.objects.filter(verb="paper_batch.issued").exists()
    in_review = InitiativeFactory(
        status=Status.IN_REVIEW, submitted_at=timezone.now(), review_started_at=timezone.now()
    )
    assert services.paper_batch_issue(initiative_id=in_review.pk, actor=moderator, sheets=1)


# --- Who may print ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["campaign_manager", "assembly_clerk", "auditor", None])
def test_only_those_who_enter_paper_signatures_print_forms(now, moderator, role):
    initiative = InitiativeFactory(collecting=True)
    batch = services.paper_batch_issue(initiative_id=initiative.pk, actor=moderator, sheets=1)
    user = StaffFactory(role=role) if role else ResidentFactory()
    client = browser(user)
    base = f"/initiatives/{initiative.pk}/paper/forms/"
    assert client.get(base).status_code == 403
    assert client.post(base, {"sheets": 2}).status_code == 403
    assert client.get(f"{base}{batch.pk}.pdf").status_code == 403
    with pytest.raises(PermissionDenied):
        services.paper_batch_issue(initiative_id=initiative.pk, actor=user, sheets=1)
    assert PaperBatch.objects.count() == 1
    anonymous = Client().get(f"{base}{batch.pk}.pdf")
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]


def test_an_administrator_prints_and_a_batch_of_another_initiative_is_not_found(now):
    admin = StaffFactory(role="administrator")
    initiative, other = InitiativeFactory(collecting=True), InitiativeFactory(collecting=True)
    client = browser(admin)
    batch, _pdf = _print(client, initiative, sheets=1)
    assert client.get(f"/initiatives/{other.pk}/paper/forms/{batch.pk}.pdf").status_code == 404
    page = client.get(f"/initiatives/{initiative.pk}/").content.decode()
    assert f"/initiatives/{initiative.pk}/paper/forms/" in page  # the button on the staff section


def test_a_batch_with_lines_goes_with_its_initiative_but_never_alone(now, moderator):
    initiative = InitiativeFactory(collecting=True)
    batch = services.paper_batch_issue(initiative_id=initiative.pk, actor=moderator, sheets=1)
    for entry in (RegisterEntryFactory(), RegisterEntryFactory(child=True)):
        services.paper_signature_enter(
            initiative_id=initiative.pk,
            actor=moderator,
            register_entry_id=entry.pk,
            batch_code=batch.code,
        )
    with pytest.raises(RestrictedError):
        PaperBatch.objects.get(pk=batch.pk).delete()
    initiative.delete()
    assert not PaperBatch.objects.exists() and not PaperBatchSignature.objects.exists()
    assert not PaperRejection.objects.exists()
