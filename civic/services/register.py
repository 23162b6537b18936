"""Importing the electoral roll and the resident register from CSV files.

One import is one transaction: it applies every valid row or nothing, and reports every rejected row
with its line number and reason. Rows are keyed by `ref`, so importing the same file twice changes
nothing the second time. The file is streamed in batches: memory stays flat however long the roll
(but for the set of references read, needed to know who left).

A file is the whole roll of the kinds it holds: an active entry of those kinds whose reference is
not in the file (not even on a rejected line) has left the roll and is struck off, dated and
audited (`civic.services.strike_offs`). A file that would strike off more than
REGISTER_STRIKE_OFF_MAX_PERMILLE of those entries is refused unless the import is confirmed: a
truncated or partial file must not empty the roll. Someone an import struck off who is back in a
later file is reinstated; an annulment or a clerk's strike-off stays until a clerk reverses it.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.audit import audit_record
from civic.errors import DomainError, NotFound, RuleViolation
from civic.identity import identity_hash
from civic.models import District, EntryKind, RegisterEntry, RegisterImport, User
from civic.services.strike_offs import register_reinstate_many, register_strike_off_many

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
    struck_off: int = 0
    reinstated: int = 0


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
    *,
    stream: IO[bytes] | IO[str],
    filename: str,
    actor: User | None,
    strict: bool = False,
    confirm_strike_offs: bool = False,
    progress: Callable[[int], None] | None = None,
    before_commit: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Import one CSV file. With `strict`, any rejected row rolls the whole import back. Refused
    (nothing applied) when it would strike off more than the bound, unless `confirm_strike_offs`.
    `progress` hears the rows read after each batch; `before_commit` runs in the import's
    transaction once it is applied (a background job records its end there)."""
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

    present: set[str] = set()  # every reference read, rejected lines included
    kinds: set[str] = set()

    def parsed() -> Iterator[tuple[int, dict[str, Any]]]:
        for row in reader:
            report.rows_total += 1
            line = reader.line_num
            present.add((row.get("ref") or "").strip())
            kind = KIND_ALIASES.get((row.get("kind") or "").strip().lower())
            if kind is not None:
                kinds.add(kind)
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
            report.reinstated += _apply_batch(batch, report, seen_in_file, actor, record)
            if progress is not None:
                progress(report.rows_total)
        if progress is not None:  # the rejected lines after the last batch are read too
            progress(report.rows_total)
        report.rejected.sort(key=lambda r: r["line"])
        if strict and report.rejected:
            transaction.set_rollback(True)
            report.applied = False
            return report
        leaving = _left_the_roll(present, kinds)
        if not confirm_strike_offs and _beyond_bound(len(leaving), kinds):
            transaction.set_rollback(True)
            raise ImportRejected(
                _(
                    "Cet import radierait %(count)s inscriptions, plus de %(permille)s ‰ du "
                    "registre : vérifiez que le fichier est complet, puis confirmez les radiations."
                )
                % {"count": len(leaving), "permille": settings.REGISTER_STRIKE_OFF_MAX_PERMILLE},
                code="strike_off_bound",
            )
        struck = register_strike_off_many(
            leaving, actor=actor, register_import=record, at=timezone.now()
        )
        report.struck_off = len(struck)
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
                "struck_off": report.struck_off,
                "reinstated": report.reinstated,
                "strike_offs": [s.pk for s in struck],
                "strike_offs_confirmed": confirm_strike_offs,
            },
        )
        report.import_id = record.pk
        report.applied = True
        if before_commit is not None:
            before_commit(report)
    return report


def _left_the_roll(present: set[str], kinds: set[str]) -> list[int]:
    """Active entries of the kinds in the file whose reference the file does not hold."""
    if not kinds:
        return []
    candidates = RegisterEntry.objects.filter(active=True, kind__in=sorted(kinds)).values_list(
        "pk", "ref"
    )
    return [pk for pk, ref in candidates.iterator(chunk_size=BATCH) if ref not in present]


def _beyond_bound(count: int, kinds: set[str]) -> bool:
    if count == 0:
        return False
    roll = RegisterEntry.objects.filter(active=True, kind__in=sorted(kinds)).count()
    return count * 1000 > settings.REGISTER_STRIKE_OFF_MAX_PERMILLE * roll


def _apply_batch(
    batch: list[tuple[int, dict[str, Any]]],
    report: ImportReport,
    seen_in_file: set[str],
    actor: User | None,
    record: RegisterImport,
) -> int:
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
    back = [e.pk for e in existing.values() if not e.active]
    return register_reinstate_many(back, actor=actor, register_import=record) if back else 0


_EDITABLE = (
    "ref",
    "kind",
    "last_name",
    "first_names",
    "birth_date",
    "address",
    "postcode",
    "district_id",
    "roll_number",
)


def register_entry_save(*, entry: RegisterEntry, actor: User | None) -> RegisterEntry:
    """A clerk's creation or correction of one entry (the caller filled `entry`, unsaved). The
    identity hash is recomputed from the names and birth date, so paper signatures and
    de-duplication keep matching; the roll rules of the import apply; the change is audited with
    the names of the fields it changed (not their values: the log is no copy of the register)."""
    if entry.kind in (EntryKind.ELECTOR, EntryKind.EU_ELECTOR) and not entry.roll_number:
        raise RuleViolation(_("Un électeur doit avoir un numéro d'électeur."), code="roll_number")
    if entry.kind == EntryKind.RESIDENT and entry.roll_number:
        raise RuleViolation(
            _("Un résident non inscrit ne peut pas avoir de numéro d'électeur."),
            code="roll_number",
        )
    for column in ("last_name", "first_names", "address"):
        if getattr(entry, column).startswith(FORMULA_PREFIXES):
            raise RuleViolation(
                _("Un nom ou une adresse ne peut pas commencer par = + - @."), code="formula"
            )
    entry.roll_number = entry.roll_number or None
    entry.identity_hash = identity_hash(
        last_name=entry.last_name, first_names=entry.first_names, birth_date=entry.birth_date
    )
    with transaction.atomic():
        if entry.pk is None:
            entry.active, entry.struck_off_at, entry.struck_off_reason = True, None, ""
            entry.save()
            audit_record(actor=actor, verb="register.entry_create", target=entry)
            return entry
        current = RegisterEntry.objects.select_for_update().filter(pk=entry.pk).first()
        if current is None:
            raise NotFound(_("Cette inscription n'existe pas."))
        changed = [f for f in _EDITABLE if getattr(current, f) != getattr(entry, f)]
        if not changed:
            return current
        # Only the identity and address change here; eligibility moves through strike-offs.
        RegisterEntry.objects.filter(pk=entry.pk).update(
            **{f: getattr(entry, f) for f in changed},
            identity_hash=entry.identity_hash,
            updated_at=timezone.now(),
        )
        audit_record(
            actor=actor,
            verb="register.entry_change",
            target=entry,
            after={
                "fields": changed,
                "identity_hash_changed": current.identity_hash != entry.identity_hash,
            },
        )
    entry.refresh_from_db()
    return entry
