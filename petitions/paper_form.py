"""The printable paper signature form of an initiative: a PDF (fpdf2) whose every sheet stands on
its own once the pile is split up: the city, the initiative's title and summary, who may sign
(each track's eligibility predicate, in the words of `civic.eligibility`), the closing date,
numbered lines with the fields paper entry asks for, a QR code to the initiative's page carrying
the batch code (segno), and the batch code in print.

Text is set in the DejaVu Sans subset the project ships, as every public document (civic/pdf.py);
a character the subset lacks is printed as "?" rather than dropped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

import segno
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos

from civic.pdf import FAMILY, FONTS, printable
from petitions.models.paper import LINES_PER_SHEET

MARGIN = 12.0
QR_SIZE = 34.0
TEXT_WIDTH = 210 - 2 * MARGIN - QR_SIZE - 6
# Columns: (heading, width in mm); 186 mm between the margins.
COLUMNS = (
    (gettext_noop("Ligne"), 16.0),
    (gettext_noop("Nom"), 36.0),
    (gettext_noop("Prénoms"), 40.0),
    (gettext_noop("Date de naissance"), 26.0),
    (gettext_noop("N° au registre (facultatif)"), 28.0),
    (gettext_noop("Signature"), 40.0),
)
ROW_HEIGHT = 15.0
HEADING_HEIGHT = 8.5


@dataclass(frozen=True)
class FormContent:
    """What a form says; built by the view from the initiative and its batch."""

    city: str
    initiative_id: int
    title: str
    summary: str
    who_may_sign: Sequence[str]  # one line per track: "instrument : predicate (rule)"
    closes_on: str  # a formatted date, or ""
    page_url: str  # the QR code's address, with the batch code
    batch_code: str
    sheets: int
    issued_at: datetime


def qr_runs(payload: str) -> tuple[int, list[tuple[int, int, int]]]:
    """The QR code (segno) as its size in modules and its runs of dark modules, (row, first
    column, length): drawn as filled rectangles, sharp at any printer, computed once per form."""
    matrix = segno.make(payload, error="m").matrix
    runs = []
    for row_index, row in enumerate(matrix):
        start = None
        for col, dark in enumerate([*row, 0]):
            if dark and start is None:
                start = col
            elif not dark and start is not None:
                runs.append((row_index, start, col - start))
                start = None
    return len(matrix), runs


class _Form(FPDF):
    def __init__(self, content: FormContent) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.content = content
        self.qr = qr_runs(content.page_url)
        self.wrapped: dict[tuple[str, float, bool, float], list[str]] = {}
        self.add_font(FAMILY, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FAMILY, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(False)
        self.set_title(
            printable(_("Formulaire de signatures — %(title)s") % {"title": content.title})
        )
        self.set_creator(printable(content.city))
        self.set_creation_date(content.issued_at)

    def text_block(self, text: str, *, size: float, bold: bool = False, width: float = 0) -> None:
        """Wrapped text; each text is wrapped once per form (every sheet repeats it), then set
        line by line."""
        width = width or TEXT_WIDTH
        self.set_font(FAMILY, "B" if bold else "", size)
        key = (text, size, bold, width)
        if key not in self.wrapped:
            lines = self.multi_cell(
                width, size * 0.45, printable(text), dry_run=True, output=MethodReturnValue.LINES
            )
            self.wrapped[key] = [str(line) for line in cast(list[str], lines)]
        for line in self.wrapped[key]:
            self.cell(width, size * 0.45, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def sheet(self, number: int) -> None:
        c = self.content
        self.add_page()
        self.set_text_color(0, 0, 0)
        self.text_block(c.city, size=9, bold=True)
        self.text_block(
            _("Formulaire de soutien à une initiative citoyenne — feuille %(n)d sur %(total)d")
            % {"n": number, "total": c.sheets},
            size=8,
        )
        self.ln(2)
        self.text_block(c.title, size=13, bold=True)
        self.text_block(_("Initiative n° %(id)d") % {"id": c.initiative_id}, size=8)
        self.ln(1)
        self.text_block(c.summary, size=9)
        self._batch_box()
        self.set_y(max(self.get_y(), MARGIN + QR_SIZE + 16) + 2)
        self._rules()
        self._lines(number)
        self._footer(number)

    def _batch_box(self) -> None:
        c = self.content
        x = 210 - MARGIN - QR_SIZE
        modules, runs = self.qr
        unit = QR_SIZE / modules
        self.set_fill_color(0, 0, 0)
        for row, first, length in runs:
            self.rect(x + first * unit, MARGIN + row * unit, length * unit, unit, style="F")
        self.set_xy(x - 4, MARGIN + QR_SIZE + 1)
        self.set_font(FAMILY, "", 7)
        self.cell(QR_SIZE + 8, 3.5, printable(_("Code du lot")), align="C")
        self.set_xy(x - 4, MARGIN + QR_SIZE + 4.5)
        self.set_font(FAMILY, "B", 11)
        self.cell(QR_SIZE + 8, 5, c.batch_code, align="C")
        self.set_xy(MARGIN, self.get_y())

    def _rules(self) -> None:
        c = self.content
        width = 210 - 2 * MARGIN
        self.text_block(_("Qui peut signer"), size=9, bold=True, width=width)
        for line in c.who_may_sign:
            self.text_block(f"• {line}", size=8, width=width)
        rules = [
            _("Une seule signature par personne, en ligne ou sur papier : un doublon est écarté."),
            _(
                "Écrivez lisiblement vos nom, prénoms et date de naissance, tels qu'au registre ; une ligne incomplète ou illisible est rejetée."
            ),
        ]
        if c.closes_on:
            rules.insert(0, _("Collecte ouverte jusqu'au %(date)s.") % {"date": c.closes_on})
        for line in rules:
            self.text_block(f"• {line}", size=8, width=width)
        self.ln(2)

    def _lines(self, number: int) -> None:
        self._headings()
        for line in range(1, LINES_PER_SHEET + 1):
            self.set_font(FAMILY, "B", 8)
            self.cell(COLUMNS[0][1], ROW_HEIGHT, f"F{number}-L{line}", border=1, align="C")
            for _heading, width in COLUMNS[1:]:
                self.cell(width, ROW_HEIGHT, "", border=1)
            self.ln(ROW_HEIGHT)

    def _headings(self) -> None:
        """Column headings on up to two lines, in shaded boxes of one height."""
        self.set_font(FAMILY, "B", 7)
        self.set_fill_color(235, 235, 235)
        x, y = self.get_x(), self.get_y()
        for heading, width in COLUMNS:
            self.rect(x, y, width, HEADING_HEIGHT, style="DF")
            self.set_xy(x, y + 1)
            self.multi_cell(width, 3.2, printable(_(heading)), align="C")
            x += width
        self.set_xy(MARGIN, y + HEADING_HEIGHT)

    def _footer(self, number: int) -> None:
        c = self.content
        self.set_y(297 - MARGIN - 16)
        width = 210 - 2 * MARGIN
        self.text_block(
            _(
                "Vos données servent seulement à vérifier votre signature sur la liste électorale ou le registre des résidents ; le nombre de signatures est public, jamais votre nom. Rendez la feuille à la mairie."
            ),
            size=7,
            width=width,
        )
        self.text_block(
            _("Lot %(code)s · feuille %(n)d/%(total)d · %(url)s")
            % {"code": c.batch_code, "n": number, "total": c.sheets, "url": c.page_url},
            size=7,
            width=width,
        )


def form_pdf(content: FormContent) -> bytes:
    pdf = _Form(content)
    for number in range(1, content.sheets + 1):
        pdf.sheet(number)
    return bytes(pdf.output())
