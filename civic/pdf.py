"""Public documents as PDF (fpdf2): the same content as a public page, for printing and filing.

An instrument describes its document as data, a `Document` of blocks (headings, paragraphs,
tables), built from what its page shows and with the page's own translated sentences; this module
lays every document out alike (the city and the title first, a footer on each page with the city,
the generation date, the page's address and the page number) and keeps each built file in the
shared cache under a digest of its content, so that a page can state the file's size and the file
is built once per change, not once per reader or per process.

Text is set in the DejaVu Sans subset the project ships (civic/fonts, embedded in each file); a
character the subset lacks is printed as "?" rather than dropped."""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.cache import cache as shared_cache
from django.http import HttpResponse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

# fontTools logs each font subset it writes at INFO: noise in the web server's log.
logging.getLogger("fontTools.subset").setLevel(logging.WARNING)
FONTS = Path(__file__).resolve().parent / "fonts"
FAMILY = "DejaVu"
MARGIN = 15.0
WIDTH = 210 - 2 * MARGIN
# A built document is kept this long in the shared cache (its key changes with its content).
CACHE_SECONDS = 24 * 3600
CONTENT_TYPE = "application/pdf"
_HEADINGS = FontFace(family=FAMILY, emphasis="BOLD", fill_color=(235, 235, 235))


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str
    bold: bool = False
    small: bool = False


@dataclass(frozen=True)
class Table:
    """A table with a caption and a heading row; `widths` are relative (None: equal columns)."""

    caption: str
    headings: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[int, ...] | None = None


Block = Heading | Paragraph | Table


@dataclass(frozen=True)
class Document:
    """What a document says, in the reader's language. `page_url` is the absolute address of the
    page it reproduces (printed in the footer); `filename` names the downloaded file."""

    title: str
    page_url: str
    filename: str
    blocks: tuple[Block, ...] = field(default_factory=tuple)

    def digest(self) -> str:
        return hashlib.sha256(repr((self, get_language())).encode()).hexdigest()[:32]


@cache
def _covered() -> frozenset[int]:
    return frozenset(TTFont(FONTS / "DejaVuSans.ttf").getBestCmap())


def printable(text: str) -> str:
    covered = _covered()
    return "".join(c if ord(c) in covered or c in "\n" else "?" for c in text)


class _Pdf(FPDF):
    def __init__(self, document: Document, generated_at: datetime) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.document = document
        self.generated_on = date_format(timezone.localtime(generated_at), "j F Y")
        self.add_font(FAMILY, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FAMILY, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 14)
        self.set_title(printable(document.title))
        self.set_author(printable(settings.CITY_NAME))
        self.set_creator(printable(settings.CITY_NAME))
        self.set_lang(get_language() or settings.LANGUAGE_CODE)
        self.set_creation_date(generated_at)

    def footer(self) -> None:
        self.set_y(-(MARGIN + 10))
        self.set_font(FAMILY, "", 7)
        self.set_text_color(60, 60, 60)
        line = _("%(city)s · document généré le %(date)s · page %(page)s sur %(pages)s") % {
            "city": settings.CITY_NAME,
            "date": self.generated_on,
            "page": self.page_no(),
            "pages": "{nb}",
        }
        self.multi_cell(WIDTH, 3.5, printable(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.multi_cell(
            WIDTH,
            3.5,
            printable(_("Version en ligne : %(url)s") % {"url": self.document.page_url}),
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )

    def para(self, text: str, *, size: float = 10, bold: bool = False) -> None:
        self.set_font(FAMILY, "B" if bold else "", size)
        self.multi_cell(WIDTH, size * 0.5, printable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def heading(self, text: str) -> None:
        self.ln(3)
        self.para(text, size=12.5, bold=True)
        self.ln(1)

    def table_block(self, table: Table) -> None:
        self.ln(1)
        self.para(table.caption, size=9.5, bold=True)
        self.set_font(FAMILY, "", 8.5)
        self.set_fill_color(235, 235, 235)
        with self.table(
            col_widths=table.widths or tuple(1 for _ in table.headings),
            width=WIDTH,
            line_height=4.5,
            text_align="LEFT",
            headings_style=_HEADINGS,
            first_row_as_headings=True,
        ) as grid:
            for values in (table.headings, *table.rows):
                row = grid.row()
                for value in values:
                    row.cell(printable(value))
        self.ln(2)


def render(document: Document, *, generated_at: datetime | None = None) -> bytes:
    pdf = _Pdf(document, generated_at or timezone.now())
    pdf.alias_nb_pages("{nb}")
    pdf.add_page()
    pdf.para(settings.CITY_NAME, size=9, bold=True)
    pdf.ln(2)
    pdf.para(document.title, size=16, bold=True)
    pdf.ln(2)
    for block in document.blocks:
        if isinstance(block, Heading):
            pdf.heading(block.text)
        elif isinstance(block, Table):
            pdf.table_block(block)
        else:
            pdf.para(block.text, size=8.5 if block.small else 10, bold=block.bold)
            pdf.ln(1.5)
    return bytes(pdf.output())


def document_bytes(document: Document) -> bytes:
    """The built file, from the shared cache when this very content was built already (by any
    process), so a page and its PDF agree on the size and the same bytes get the same ETag."""
    digest = document.digest()
    body = shared_cache.get(f"civic.pdf:{digest}")
    if not isinstance(body, bytes):
        body = render(document)
        shared_cache.set_many(
            {f"civic.pdf:{digest}": body, f"civic.pdf.size:{digest}": len(body)}, CACHE_SECONDS
        )
    return body


def document_size(document: Document) -> int:
    """The file's size in bytes; a page asks for it on each rendering, so it is kept apart from
    the file (a few bytes read, not the whole file)."""
    key = f"civic.pdf.size:{document.digest()}"
    size = shared_cache.get(key)
    if not isinstance(size, int):
        size = len(document_bytes(document))
        shared_cache.set(key, size, CACHE_SECONDS)
    return size


@dataclass(frozen=True)
class DocumentLink:
    """What a page needs to link to its PDF: the address and the size in words."""

    url: str
    size: str


def document_link(document: Document, url: str) -> DocumentLink:
    kilobytes = max(1, math.ceil(document_size(document) / 1024))
    return DocumentLink(url=url, size=number_format(kilobytes, force_grouping=True))


def document_response(document: Document) -> HttpResponse:
    """The PDF answer; the view's `public_page` decides whether it is cacheable, as for its page."""
    response = HttpResponse(document_bytes(document), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    return response


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"
