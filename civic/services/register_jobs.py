"""The register import as a background job (civic/jobs.py): the administrator's page uploads the
file, the job applies it with `register_import`, as one transaction, exactly as before (every valid
row or nothing; `strict` refuses all if one line is rejected; the strike-off bound), and its page
follows the rows read and shows the import report once over.

A file that cannot be read (not UTF-8, missing columns) is refused at the upload: no job, nothing
changed. The job records its end in the import's own transaction, so a redelivered task finds the
job over and imports nothing twice; a task killed mid-import rolled everything back and the
redelivery imports the file afresh."""

from __future__ import annotations

import csv
import io
import logging
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic import store
from civic.jobs import JobKind, job_claim, job_create, job_fail, job_finish, kind_register
from civic.models import StaffJob, User
from civic.roles import Role
from civic.services.register import REQUIRED_COLUMNS, ImportRejected, ImportReport, register_import

logger = logging.getLogger(__name__)

KIND = "civic.register_import"
TASK = "civic.tasks.run_register_import"


def register_kind() -> None:
    kind_register(
        JobKind(
            name=KIND,
            label=gettext_lazy("Import du registre"),
            task=TASK,
            roles=(Role.ADMINISTRATOR,),
            result_template="civic/_register_report.html",
            back_url=lambda job: reverse("staff-register-import"),
        )
    )


def _rows_in(data: bytes) -> int:
    """The file's data rows (what the bar counts), once its encoding and columns are checked."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRejected(_("Le fichier n'est pas encodé en UTF-8.")) from None
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ImportRejected(
            _("Colonnes manquantes : %(columns)s") % {"columns": ", ".join(missing)}
        )
    return sum(1 for _row in reader)


def register_import_job_request(
    *, data: bytes, filename: str, actor: User, strict: bool, confirm_strike_offs: bool
) -> StaffJob:
    """Check the file can be read, then record the job and enqueue it (after the commit)."""
    total = _rows_in(data)
    return job_create(
        kind=KIND,
        actor=actor,
        payload=data,
        filename=filename,
        params={"strict": strict, "confirm_strike_offs": confirm_strike_offs},
        total=total,
    )


def report_summary(report: ImportReport) -> dict[str, Any]:
    return {
        "applied": report.applied,
        "import_id": report.import_id,
        "rows_total": report.rows_total,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "struck_off": report.struck_off,
        "reinstated": report.reinstated,
        "rejected": report.rejected,
    }


def register_import_job_run(*, job_id: int) -> bool:
    """The task: import the job's file. Returns whether the import was applied."""
    job = job_claim(job_id)
    if job is None:
        return False  # over already: a redelivery, or a job that failed
    try:
        with store.job_progress_outside(job.pk) as moved:
            report = register_import(
                stream=io.BytesIO(bytes(job.payload)),
                filename=job.filename,
                actor=job.actor,
                strict=bool(job.params.get("strict")),
                confirm_strike_offs=bool(job.params.get("confirm_strike_offs")),
                progress=moved,
                before_commit=lambda done: job_finish(job, result=report_summary(done)),
            )
    except ImportRejected as exc:
        job_fail(job, str(exc.detail))
        return False
    except Exception:
        logger.exception("register import job %s failed", job.pk)
        job_fail(job, _("L'import a échoué sur une erreur inattendue : rien n'a été appliqué."))
        raise
    if not report.applied:  # strict, with rejected lines: rolled back, the report says why
        with transaction.atomic():
            job_finish(job, result=report_summary(report))
    return report.applied
