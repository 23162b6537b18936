"""Paper signatures entered from a keyed CSV file, as a background job (civic/jobs.py).

The job applies the file as `paper_signatures_import` does (batch by batch, each batch committed on
its own: what a batch recorded stays if a later one is refused, e.g. once the collection closed),
and moves its progress, its partial outcome and the rejected lines IN the transaction of each
batch: the bar never runs ahead of what is recorded, and a redelivered task resumes after the last
committed batch instead of entering it twice (its rows would all come back as duplicates). The
end (the import's audit entry and the outcome) is one transaction too.

A file that cannot be read (not UTF-8, no column naming the signer) or an initiative that does not
collect is refused at the upload: no job, nothing recorded."""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from itertools import islice
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic.audit import audit_record
from civic.errors import DomainError, PermissionDenied
from civic.jobs import (
    JobKind,
    job_advance,
    job_claim,
    job_create,
    job_fail,
    job_finish,
    kind_register,
)
from civic.models import StaffJob, User
from civic.roles import Role
from petitions.models import Initiative
from petitions.rules import is_moderator
from petitions.services.paper_import import (
    BATCH,
    ImportReport,
    PaperRow,
    paper_batch_apply,
    paper_row_batches,
    paper_rows_from_csv,
)
from petitions.services.signatures.state import require_open, signing_state

KIND = "petitions.paper_import"
TASK = "petitions.tasks.run_paper_import"
# The rejected lines kept in the outcome (the counts per reason cover them all).
LINES_SHOWN = 1000


def register_kind() -> None:
    kind_register(
        JobKind(
            name=KIND,
            label=gettext_lazy("Import de signatures papier"),
            task=TASK,
            roles=(Role.MODERATOR,),
            result_template="petitions/_paper_import_report.html",
            allows=lambda user, job: Initiative.objects.filter(pk=job.scope_id or 0).exists(),
            back_url=lambda job: reverse("petitions:staff-paper-import", args=[job.scope_id]),
        )
    )


def _text(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError(
            _("Le fichier n'est pas encodé en UTF-8."), code="file_encoding"
        ) from None
    columns = set(csv.DictReader(io.StringIO(text)).fieldnames or [])
    if "register_ref" not in columns and not {"last_name", "first_names", "birth_date"} <= columns:
        raise DomainError(
            _(
                "Colonnes manquantes : register_ref, ou last_name, first_names et birth_date "
                "(AAAA-MM-JJ)."
            ),
            code="file_columns",
        )
    return text


def paper_import_job_request(
    *, initiative_id: int, actor: User, data: bytes, filename: str
) -> StaffJob:
    """Check the moderator, the collection and the file, then record the job and enqueue it."""
    if not is_moderator(actor):
        raise PermissionDenied(_("La saisie des signatures papier est réservée aux modérateurs."))
    require_open(signing_state(initiative_id, fresh=True), timezone.now())
    text = _text(data)
    total = sum(1 for _row in csv.DictReader(io.StringIO(text)))
    return job_create(
        kind=KIND,
        actor=actor,
        payload=data,
        filename=filename,
        scope_id=initiative_id,
        total=total,
    )


def _outcome(report: ImportReport, lines: list[dict[str, Any]]) -> dict[str, Any]:
    return {**report.as_dict(), "lines": lines[:LINES_SHOWN]}


def paper_import_job_run(*, job_id: int) -> int:
    """The task: enter the job's rows, resuming after the last committed batch. Returns how many
    signatures it recorded in this run."""
    job = job_claim(job_id)
    if job is None:
        return 0  # over already: a redelivery, or a job that failed
    initiative_id = int(job.scope_id or 0)
    done = dict(job.result or {})
    report = ImportReport(
        rows=int(done.get("rows", 0)),
        accepted=int(done.get("accepted", 0)),
        rejected=Counter(done.get("rejected", {})),
    )
    lines: list[dict[str, Any]] = list(done.get("lines", []))
    text = bytes(job.payload).decode("utf-8-sig")
    rows = islice(paper_rows_from_csv(io.StringIO(text)), job.done, None)
    line = job.done + 1  # the header is line 1: the first data row is line 2
    state = signing_state(initiative_id, fresh=True)
    accepted_before = report.accepted
    try:
        for batch in paper_row_batches(rows, BATCH):
            now = timezone.now()
            require_open(state, now)
            with transaction.atomic():
                rejected = paper_batch_apply(
                    initiative_id, job.actor, state.tracks, batch, now, report
                )
                lines += _rejected_lines(batch, rejected, first_line=line + 1)
                job_advance(job, len(batch), result=_outcome(report, lines))
            line += len(batch)
    except DomainError as exc:
        job_fail(job, str(exc.detail), result=_outcome(report, lines))
        return report.accepted - accepted_before
    digest = hashlib.sha256()
    for row in paper_rows_from_csv(io.StringIO(text)):
        digest.update(f"{row.register_ref}|{row.sheet_ref}".encode())
    with transaction.atomic():
        audit_record(
            actor=job.actor,
            verb="signature.paper_imported",
            target=("petitions.initiative", initiative_id),
            after={**report.as_dict(), "source": job.filename, "rows_sha256": digest.hexdigest()},
        )
        job_finish(job, result=_outcome(report, lines))
    return report.accepted - accepted_before


def _rejected_lines(
    batch: list[PaperRow], rejected: list[tuple[str, PaperRow]], *, first_line: int
) -> list[dict[str, Any]]:
    """The file's line of each rejected row (rows are told apart by identity, not by value)."""
    where = {id(row): first_line + i for i, row in enumerate(batch)}
    return sorted(
        ({"line": where[id(row)], "reason": reason} for reason, row in rejected),
        key=lambda r: r["line"],
    )
