"""The shared layout of public documents (civic/pdf.py): city, title, blocks, a footer with the
city, the generation date and the page's address; built once per content, cached by any page."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import RequestFactory, override_settings
from django.utils import translation

from civic import pdf
from civic.http_cache import page_memo_forget, public_page
from tests.documents import pdf_text

pytestmark = pytest.mark.django_db


def _document(**changes: object) -> pdf.Document:
    fields: dict[str, object] = {
        "title": "Résultats : Piétonnisation du centre",
        "page_url": "https://ville.example/referendums/7/results/",
        "filename": "resultats-7.pdf",
        "blocks": (
            pdf.Heading("Le résultat"),
            pdf.Paragraph("Le projet est adopté : 62,5 % de oui — œuvre, été, à."),
            pdf.Table(
                caption="Par quartier",
                headings=("Quartier", "Voix"),
                rows=tuple((f"Quartier {i}", "masqué" if i % 2 else str(i)) for i in range(80)),
            ),
        ),
    }
    fields.update(changes)
    return pdf.Document(**fields)  # type: ignore[arg-type]


def test_a_document_sets_its_text_with_accents_tables_over_pages_and_a_footer_on_each(freeze):
    freeze("2026-12-06 10:00")
    with translation.override("fr"):
        body = pdf.render(_document())
    text = pdf_text(body)
    assert body.startswith(b"%PDF-")
    assert text.startswith(settings.CITY_NAME)
    assert "Résultats : Piétonnisation du centre" in text
    assert "Le projet est adopté : 62,5 % de oui — œuvre, été, à." in text
    assert "Quartier 79 masqué" in text and "Quartier 78 78" in text
    assert text.count("document généré le 6 décembre 2026") == text.count("Version en ligne") >= 2
    assert "page 1 sur 2" in text or "page 1 sur 3" in text
    assert "https://ville.example/referendums/7/results/" in text
    assert b"DejaVu" in body  # the font is embedded, not left to the reader's machine


def test_the_footer_speaks_the_readers_language(freeze):
    freeze("2026-12-06 10:00")
    with translation.override("en"):
        text = pdf_text(pdf.render(_document(blocks=())))
    assert "generated on 6 December 2026" in text and "Online version" in text


def test_a_document_is_built_once_per_content_and_language_and_its_size_is_stated(
    monkeypatch, settings
):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    built: list[pdf.Document] = []
    real = pdf.render
    monkeypatch.setattr(pdf, "render", lambda d: built.append(d) or real(d))
    document = _document()
    with translation.override("fr"):
        link = pdf.document_link(document, "/x.pdf")
        body = pdf.document_bytes(document)
        assert pdf.document_bytes(_document()) == body
        assert link.size == str(-(-len(body) // 1024)) and link.url == "/x.pdf"
        pdf.document_bytes(_document(title="Autre titre"))
    with translation.override("en"):
        pdf.document_bytes(document)
    assert len(built) == 3


@override_settings(PAGE_MEMO_SECONDS=60)
def test_a_public_document_keeps_its_file_name_when_answered_from_the_memo():
    page_memo_forget()
    view = public_page(lambda request: pdf.document_response(_document(blocks=())))
    first = view(RequestFactory().get("/doc.pdf"))
    again = view(RequestFactory().get("/doc.pdf"))
    for response in (first, again):
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == 'attachment; filename="resultats-7.pdf"'
        assert response["Cache-Control"].startswith("public")
    assert first.content == again.content and first["ETag"] == again["ETag"]
    page_memo_forget()
