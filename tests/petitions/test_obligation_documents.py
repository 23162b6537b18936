"""The city's answer is public with its documents: staff attach a PDF, ODT, DOCX, PNG or JPEG to
an obligation met, checked on its content (a clear message on a bad file, nothing saved), stored
through Django's storage, served as a download that no browser renders in the site's origin,
listed on the public pages and in the API. Other roles are refused."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from civic.errors import Conflict, DomainError, PermissionDenied
from civic.models import AuditEntry
from petitions import services
from petitions.documents import DOCX, ODT, PDF, PNG, sniff
from petitions.models import Obligation, ObligationDocument, TrackRung
from tests.factories import ResidentFactory, StaffFactory
from tests.petitions.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

A_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
A_PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


AN_ODT = _zip({"mimetype": ODT.encode(), "content.xml": b"<office/>"})
A_DOCX = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})


@pytest.fixture(autouse=True)
def media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _obligation(*, done: bool = True) -> Obligation:
    initiative = InitiativeFactory(collecting=True)
    rung = TrackRung.objects.filter(track__initiative=initiative).order_by("pk").first()
    assert rung is not None
    now = timezone.now()
    return Obligation.objects.create(
        track_rung=rung,
        initiative=initiative,
        kind=rung.obligation_kind,
        text=rung.obligation_text,
        created_at=now,
        due_at=now + timedelta(days=rung.due_days),
        **(
            {
                "status": "done",
                "done_at": now,
                "done_by": StaffFactory(role="moderator"),
                "evidence_text": "Rencontre tenue le 3 mars avec les porteurs.",
            }
            if done
            else {}
        ),
    )


def _upload(data: bytes, name: str = "compte-rendu.pdf", content_type: str = PDF):
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.mark.parametrize(
    "data,expected",
    [
        (A_PDF, PDF),
        (A_PNG, PNG),
        (b"\xff\xd8\xff\xe0jpeg", "image/jpeg"),
        (AN_ODT, ODT),
        (A_DOCX, DOCX),
    ],
)
def test_the_type_is_read_from_the_content(data, expected):
    found = sniff(io.BytesIO(data))
    assert found is not None and found.content_type == expected


@pytest.mark.parametrize(
    "data",
    [
        b"<html><script>alert(1)</script></html>",
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        _zip({"readme.txt": b"hello"}),
        _zip({"mimetype": b"application/epub+zip"}),
        b"PK\x03\x04 truncated",
        b"MZ\x90\x00",
    ],
)
def test_anything_else_is_refused_whatever_its_name_and_nothing_is_saved(media, moderator, data):
    obligation = _obligation()
    with pytest.raises(DomainError) as refused:
        services.obligation_document_attach(
            obligation_id=obligation.pk,
            actor=moderator,
            upload=_upload(data, name="rapport.pdf"),
            title="Compte rendu",
        )
    assert refused.value.code == "document_type_refused"
    assert not ObligationDocument.objects.exists()
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_a_document_is_stored_listed_on_the_pages_and_in_the_api_and_served_safely(
    media, moderator, django_capture_on_commit_callbacks
):
    obligation = _obligation()
    with django_capture_on_commit_callbacks(execute=True):
        document = services.obligation_document_attach(
            obligation_id=obligation.pk,
            actor=moderator,
            upload=_upload(A_PDF, name="../../Compte rendu <final>.PDF"),
            title="Compte rendu de la rencontre",
        )
    assert document.content_type == PDF and document.filename == "Compte-rendu-final.pdf"
    assert document.size == len(A_PDF) and document.file.name.startswith("obligations/")
    assert (media / document.file.name).read_bytes() == A_PDF
    assert AuditEntry.objects.filter(verb="obligation.document_attached").count() == 1

    url = f"/initiatives/obligations/documents/{document.pk}/"
    page = Client().get(obligation.initiative.get_absolute_url()).content.decode()
    assert "Compte rendu de la rencontre" in page and url in page
    assert "Rencontre tenue le 3 mars" in page
    listing = Client().get("/initiatives/obligations/").content.decode()
    assert url in listing
    api = Client().get("/api/v1/obligations/").json()
    row = next(r for r in api["results"] if r["id"] == obligation.pk)
    assert row["documents"][0]["url"] == url and row["documents"][0]["content_type"] == PDF

    served = Client().get(url)
    assert served.status_code == 200
    assert served["Content-Type"] == PDF
    assert served["Content-Disposition"].startswith("attachment;")
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served["Content-Security-Policy"]
    assert b"".join(served.streaming_content) == A_PDF


def test_an_odt_a_docx_and_an_image_are_accepted_with_their_real_extension(media, clerk):
    obligation = _obligation()
    for data, name, extension in (
        (AN_ODT, "a.zip", "odt"),
        (A_DOCX, "b", "docx"),
        (A_PNG, "c.jpg", "png"),
    ):
        document = services.obligation_document_attach(
            obligation_id=obligation.pk, actor=clerk, upload=_upload(data, name=name), title=name
        )
        assert document.filename.endswith(f".{extension}")


def test_empty_too_large_untitled_and_not_done_are_refused(media, moderator, settings):
    settings.PETITIONS_DOCUMENT_MAX_BYTES = 1024
    obligation = _obligation()
    cases = [
        (_upload(b""), "Titre", "document_empty"),
        (_upload(A_PDF + b"0" * 2048), "Titre", "document_too_large"),
        (_upload(A_PDF), "  ", "document_title_invalid"),
    ]
    for upload, title, code in cases:
        with pytest.raises(DomainError) as refused:
            services.obligation_document_attach(
                obligation_id=obligation.pk, actor=moderator, upload=upload, title=title
            )
        assert refused.value.code == code
    open_one = _obligation(done=False)
    with pytest.raises(Conflict) as refused:
        services.obligation_document_attach(
            obligation_id=open_one.pk, actor=moderator, upload=_upload(A_PDF), title="T"
        )
    assert refused.value.code == "obligation_not_done"
    assert not ObligationDocument.objects.exists()


@pytest.mark.parametrize("role", ["campaign_manager", "auditor"])
def test_other_staff_and_residents_cannot_attach(media, role):
    obligation = _obligation()
    for actor in (StaffFactory(role=role), ResidentFactory()):
        with pytest.raises(PermissionDenied):
            services.obligation_document_attach(
                obligation_id=obligation.pk, actor=actor, upload=_upload(A_PDF), title="T"
            )
    assert not ObligationDocument.objects.exists()


def test_the_staff_page_shows_a_clear_message_on_a_bad_file(media, moderator):
    obligation = _obligation()
    client = Client()
    client.force_login(moderator)
    url = f"/initiatives/obligations/{obligation.pk}/documents/"
    bad = client.post(
        url, {"title": "Rapport", "file": _upload(b"<html></html>", name="r.pdf")}, follow=True
    )
    assert "ni un PDF" in bad.content.decode()
    assert not ObligationDocument.objects.exists()
    client.post(url, {"title": "Rapport", "file": _upload(A_PDF)})
    assert ObligationDocument.objects.count() == 1
    resident = Client()
    resident.force_login(ResidentFactory())
    assert resident.get(url).status_code == 403
    assert resident.post(url, {"title": "R", "file": _upload(A_PDF)}).status_code == 403
    assert ObligationDocument.objects.count() == 1


def test_the_api_attaches_a_document_for_staff_only(media, staff_api, resident_api):
    obligation = _obligation()
    url = f"/api/v1/obligations/{obligation.pk}/documents/"
    assert (
        resident_api.post(
            url, {"title": "T", "file": _upload(A_PDF)}, format="multipart"
        ).status_code
        == 403
    )
    moderator = staff_api("moderator")
    bad = moderator.post(url, {"title": "T", "file": _upload(b"GIF89a")}, format="multipart")
    assert bad.status_code == 400 and bad.json()["code"] == "document_type_refused"
    ok = moderator.post(url, {"title": "T", "file": _upload(A_PDF)}, format="multipart")
    assert ok.status_code == 201 and ok.json()["content_type"] == PDF
    assert ObligationDocument.objects.count() == 1


def test_a_document_of_an_initiative_not_public_is_not_served(media, moderator):
    obligation = _obligation()
    document = services.obligation_document_attach(
        obligation_id=obligation.pk, actor=moderator, upload=_upload(A_PDF), title="T"
    )
    type(obligation.initiative).objects.filter(pk=obligation.initiative_id).update(
        status="in_review", published_at=None, closes_at=None
    )
    assert Client().get(f"/initiatives/obligations/documents/{document.pk}/").status_code == 404
