"""Exports for staff (CSV and XLSX): signatures per district, printed paper batches, paper sheets,
assembly attendance. Counts only: no name, no register reference, no member.

Two scopes. `public` (the default, for every role that may read the export) is ready to leave
the staff space: each count column goes through the public statistics' small-cell rule
(`dashboards.services.documents.suppress`, `SMALL_CELL_THRESHOLD`), a hidden cell is left empty
and named in the row's `suppressed` column. `internal` gives the exact figures to the roles that
manage the data (moderators for the initiatives, the clerk for the assembly), for their own work.

Rows are aggregates (one per district, batch, sheet or session), read once; the CSV is streamed
as it is written, the XLSX written row by row (openpyxl's write-only mode) to a temporary file
that is streamed back."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook

from assembly.selectors import dashboard_attendance_rows, dashboard_mandate
from civic.opendata import safe_cell
from civic.roles import Role
from dashboards.services.documents import suppress
from petitions.selectors.exports import (
    export_initiative,
    export_paper_batches,
    export_paper_sheets,
    export_signatures_by_district,
)

PUBLIC, INTERNAL = "public", "internal"
SCOPES = (PUBLIC, INTERNAL)
FORMATS = ("csv", "xlsx")
SUPPRESSED = "suppressed"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class StaffExport:
    name: str
    kind: str  # what the id names: "initiative" or "mandate"
    title: Any
    columns: tuple[str, ...]
    counts: tuple[str, ...]  # the columns the small-cell rule applies to
    rows: Callable[[int], list[dict[str, Any]]]
    managers: tuple[str, ...]  # roles given the exact figures (and the public scope)
    readers: tuple[str, ...] = (Role.AUDITOR,)  # roles given the public scope only

    def allows(self, roles: Callable[..., bool], scope: str) -> bool:
        allowed = self.managers if scope == INTERNAL else (*self.managers, *self.readers)
        return roles(*allowed)

    def fields(self, scope: str) -> list[str]:
        return [*self.columns, SUPPRESSED] if scope == PUBLIC else list(self.columns)


TARGETS: dict[str, Callable[[int], Any | None]] = {
    "initiative": export_initiative,
    "mandate": dashboard_mandate,
}

EXPORTS: dict[str, StaffExport] = {
    e.name: e
    for e in (
        StaffExport(
            name="signatures-par-quartier",
            kind="initiative",
            title=_("Signatures par quartier"),
            columns=("district", "district_name", "signatures"),
            counts=("signatures",),
            rows=export_signatures_by_district,
            managers=(Role.MODERATOR,),
        ),
        StaffExport(
            name="lots-papier",
            kind="initiative",
            title=_("Lots de formulaires papier"),
            columns=("batch", "issued_on", "sheets", "lines", "accepted", "rejected"),
            counts=("accepted", "rejected"),
            rows=export_paper_batches,
            managers=(Role.MODERATOR,),
        ),
        StaffExport(
            name="feuilles-papier",
            kind="initiative",
            title=_("Feuilles papier saisies"),
            columns=("batch", "sheet", "accepted", "rejected"),
            counts=("accepted", "rejected"),
            rows=export_paper_sheets,
            managers=(Role.MODERATOR,),
        ),
        StaffExport(
            name="presences",
            kind="mandate",
            title=_("Présences aux séances de l'assemblée"),
            columns=("session", "title", "date", "status", "present", "absent"),
            counts=("present", "absent"),
            rows=dashboard_attendance_rows,
            managers=(Role.ASSEMBLY_CLERK,),
        ),
    )
}


def suppressed(rows: list[dict[str, Any]], counts: Sequence[str]) -> list[dict[str, Any]]:
    """The rows with small cells hidden by the public statistics' rule (`suppress`), column by
    column; a row with a hidden cell hides its other counts too (they would give it back, as
    present + absent give the members), each such cell then counting as small for its column's
    rule, until nothing more is hidden. Each row names its hidden cells."""
    hidden: dict[int, set[str]] = {}
    rows_hidden: set[int] = set()
    while True:
        for column in counts:
            cells = {
                str(i): 1 if i in rows_hidden and row[column] else int(row[column])
                for i, row in enumerate(rows)
            }
            for key in suppress(cells, threshold=settings.SMALL_CELL_THRESHOLD):
                hidden.setdefault(int(key), set()).add(column)
        if set(hidden) <= rows_hidden:
            break
        rows_hidden |= set(hidden)
    out = []
    for i, row in enumerate(rows):
        names = [c for c in counts if c in hidden.get(i, ())]
        out.append({**row, **dict.fromkeys(names), SUPPRESSED: " ".join(names)})
    return out


def export_rows(export: StaffExport, target_id: int, scope: str) -> list[dict[str, Any]]:
    rows = export.rows(target_id)
    return suppressed(rows, export.counts) if scope == PUBLIC else rows


def xlsx_file(title: str, fields: Sequence[str], rows: Iterable[dict[str, Any]]) -> IO[bytes]:
    """The workbook written row by row to a temporary file, rewound for reading. Text cells
    that a spreadsheet would read as a formula are quoted, as in the CSV."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(list(fields))
    for row in rows:
        sheet.append([safe_cell(row.get(f)) for f in fields])
    out = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    workbook.save(out)
    out.seek(0)
    return out
