"""Importing the electoral roll and the resident register from CSV files.

One import is one transaction: it applies every valid row or nothing, and reports every rejected row
with its line number and reason. Rows are keyed by `ref`, so importing the same file twice changes
nothing the second time. The file is streamed in batches: memory stays flat however long the roll.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _

from civic.audit import audit_record
from civic.errors import DomainError
from civic.identity import identity_hash
from civic.models import District, EntryKind, RegisterEntry, RegisterImport, User

REQUIRED_COLUMNS = ("ref", "kind", "last_name", "first_names", "birth_date", "address", "district")
OPTIONAL_COLUMNS = ("postcode", "roll_number")
KIND_ALIASES = {
    "elector": EntryKind.ELECTOR,
    "electeur": EntryKind.ELECTOR,
    "eu_elector": EntryKind.EU_ELECTOR,
    "ue": EntryKind.EU_ELECTOR,
    "resident": EntryKind.RESIDENT,
}
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BATCH = 2000
_FIELDS = (
    "kind",
    "last_name",
    "first_names",
    "birth_date",
    "address",
    "postcode",
    "district_id",
    "roll_number",
    "identity_hash",
    "active",
)


@dataclass
class ImportReport:
    rows_total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    import_id: int | None = None
    applied: bool = False


class ImportRejected(DomainError):
    default_code = "import_rejected"


def _parse_row(row: dict[str, str], districts: dict[str, int]) -> dict[str, Any]:
    values = {k: (row.get(k) or "").strip() for k in REQUIRED_COLUMNS + OPTIONAL_COLUMNS}
    for column in REQUIRED_COLUMNS:
        if not values[column]:
            raise ValueError(_("colonne « %(column)s » vide") % {"column": column})
    for column in ("last_name", "first_names", "address"):
        if values[column].startswith(FORMULA_PREFIXES):
            raise ValueError(
                _("colonne « %(column)s » commence par un caractère interdit") % {"column": column}
            )
    kind = KIND_ALIASES.get(values["kind"].lower())
    if kind is None:
        raise ValueError(_("type inconnu « %(kind)s »") % {"kind": values["kind"]})
    try:
        birth = date.fromisoformat(values["birth_date"])
    except ValueError:
        raise ValueError(
            _("date de naissance invalide « %(value)s » (AAAA-MM-JJ)")
            % {"value": values["birth_date"]}
        ) from None
    if birth > date.today() or birth.year < 1900:
        raise ValueError(_("date de naissance hors limites « %(value)s »") % {"value": birth})
    district_id = districts.get(values["district"].lower())
    if district_id is None:
        raise ValueError(_("quartier inconnu « %(code)s »") % {"code": values["district"]})
    roll = values["roll_number"] or None
    if kind in (EntryKind.ELECTOR, EntryKind.EU_ELECTOR) and roll is None:
        raise ValueError(_("un électeur doit avoir un numéro d'électeur"))
    if kind == EntryKind.RESIDENT and roll is not None:
        raise ValueError(_("un résident non inscrit ne peut pas avoir de numéro d'électeur"))
    if len(values["ref"]) > 64:
        raise ValueError(_("référence trop longue"))
    return {
        "ref": values["ref"],
        "kind": kind,
        "last_name": values["last_name"][:150],
        "first_names": values["first_names"][:150],
        "birth_date": birth,
        "address": values["address"][:255],
        "postcode": values["postcode"][:10],
        "district_id": district_id,
        "roll_number": roll,
        "identity_hash": identity_hash(
            last_name=values["last_name"], first_names=values["first_names"], birth_date=birth
        ),
        "active": True,
    }


def _batches(rows: Iterable[tuple[int, dict[str, Any]]], size: int) -> Iterator[list[Any]]:
    batch: list[tuple[int, dict[str, Any]]] = []
    for item in rows:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def register_import(
    *, stream: IO[bytes] | IO[str], filename: str, actor: User | None, strict: bool = False
) -> ImportReport:
    """Import one CSV file. With `strict`, any rejected row rolls the whole import back."""
    raw = stream.read()
    data = raw.encode() if isinstance(raw, str) else raw
    sha = hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRejected(_("Le fichier n'est pas encodé en UTF-8.")) from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ImportRejected(
            _("Colonnes manquantes : %(columns)s") % {"columns": ", ".join(missing)}
        )
    districts = {code.lower(): pk for pk, code in District.objects.values_list("pk", "code")}
    report = ImportReport()

    def parsed() -> Iterator[tuple[int, dict[str, Any]]]:
        for row in reader:
            report.rows_total += 1
            line = reader.line_num
            try:
                yield line, _parse_row(row, districts)
            except ValueError as exc:
                report.rejected.append({"line": line, "reason": str(exc)})

    with transaction.atomic():
        record = RegisterImport.objects.create(
            actor=actor, filename=filename[:255], file_sha256=sha
        )
        seen_in_file: set[str] = set()
        for batch in _batches(parsed(), BATCH):
            _apply_batch(batch, report, seen_in_file)
        report.rejected.sort(key=lambda r: r["line"])
        if strict and report.rejected:
            transaction.set_rollback(True)
            report.applied = False
            return report
        record.rows_total = report.rows_total
        record.created_count = report.created
        record.updated_count = report.updated
        record.unchanged_count = report.unchanged
        record.rejected = report.rejected
        record.applied = True
        record.save()
        audit_record(
            actor=actor,
            verb="register.import",
            target=record,
            after={
                "file_sha256": sha,
                "rows": report.rows_total,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "rejected": len(report.rejected),
            },
        )
    report.import_id = record.pk
    report.applied = True
    return report


def _apply_batch(
    batch: list[tuple[int, dict[str, Any]]], report: ImportReport, seen_in_file: set[str]
) -> None:
    accepted: list[tuple[int, dict[str, Any]]] = []
    rolls: dict[str, int] = {}
    for line, values in batch:
        if values["ref"] in seen_in_file:
            report.rejected.append(
                {
                    "line": line,
                    "reason": _("référence « %(ref)s » en double dans le fichier") % values,
                }
            )
            continue
        roll = values["roll_number"]
        if roll is not None and roll in rolls:
            report.rejected.append(
                {"line": line, "reason": _("numéro d'électeur en double dans le fichier")}
            )
            continue
        if roll is not None:
            rolls[roll] = line
        seen_in_file.add(values["ref"])
        accepted.append((line, values))
    existing = RegisterEntry.objects.in_bulk([v["ref"] for _l, v in accepted], field_name="ref")
    # A roll number may not move to another person.
    roll_owners = dict(
        RegisterEntry.objects.filter(roll_number__in=list(rolls)).values_list("roll_number", "ref")
    )
    to_create: list[RegisterEntry] = []
    to_update: list[RegisterEntry] = []
    for line, values in accepted:
        owner = roll_owners.get(values["roll_number"]) if values["roll_number"] else None
        if owner is not None and owner != values["ref"]:
            report.rejected.append(
                {
                    "line": line,
                    "reason": _("numéro d'électeur déjà attribué à une autre inscription"),
                }
            )
            continue
        entry = existing.get(values["ref"])
        if entry is None:
            to_create.append(RegisterEntry(**values))
            continue
        changed = [f for f in _FIELDS if getattr(entry, f) != values[f]]
        if not changed:
            report.unchanged += 1
            continue
        for f in _FIELDS:
            setattr(entry, f, values[f])
        to_update.append(entry)
    RegisterEntry.objects.bulk_create(to_create, batch_size=BATCH)
    if to_update:
        RegisterEntry.objects.bulk_update(to_update, _FIELDS, batch_size=BATCH)
    report.created += len(to_create)
    report.updated += len(to_update)
