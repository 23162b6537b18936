"""Open-data exports: CSV and JSON with a documented schema, a licence line, and safe cells.

No cell may begin with a character a spreadsheet reads as a formula (`= + - @`, tab, carriage
return): such cells are prefixed with an apostrophe, the convention spreadsheets display as text.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, StreamingHttpResponse

LICENCE = "Licence Ouverte / Open Licence 2.0 (Etalab)"
LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(fields: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> Iterable[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # spreadsheets then read UTF-8
    yield writer.writerow(fields)
    for row in rows:
        yield writer.writerow([safe_cell(row.get(field, "")) for field in fields])


def csv_response(
    *, filename: str, fields: Sequence[str], rows: Iterable[Mapping[str, Any]]
) -> StreamingHttpResponse:
    """Streamed, so an export of any size uses flat memory."""
    response = StreamingHttpResponse(csv_rows(fields, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Licence"] = LICENCE
    response["Link"] = f'<{LICENCE_URL}>; rel="license"'
    return response


def json_response(*, filename: str, schema: dict[str, Any], rows: Iterable[Any]) -> HttpResponse:
    body = {"licence": LICENCE, "licence_url": LICENCE_URL, "schema": schema, "data": list(rows)}
    response = HttpResponse(
        json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_text(fields: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    buffer = io.StringIO()
    for chunk in csv_rows(fields, rows):
        buffer.write(chunk)
    return buffer.getvalue()
