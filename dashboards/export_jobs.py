"""Staff exports prepared by a background job (civic/jobs.py), beside the direct download that
stays as it was: the page records the job (which export, format and scope), the task reads the
rows once, writes the CSV or XLSX file with the same small-cell rule, keeps it in the job's row
(private: served to the roles that may download that export and scope, never cached) and the
job's page offers it until STAFF_JOB_RETENTION_DAYS purges it.

The task has no effect but its file: a redelivered task writes the file afresh, and once the job
is over a redelivery does nothing."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic.errors import DomainError, NotFound
from civic.jobs import (
    JobKind,
    job_advance,
    job_claim,
    job_create,
    job_fail,
    job_finish,
    job_restart,
    kind_register,
)
from civic.models import StaffJob, User
from civic.opendata import csv_rows
from civic.roles import has_role
from dashboards.exports import (
    EXPORTS,
    FORMATS,
    SCOPES,
    TARGETS,
    XLSX_TYPE,
    StaffExport,
    export_rows,
    xlsx_file,
)

KIND = "dashboards.staff_export"
TASK = "dashboards.tasks.run_staff_export"
# Rows written between two moves of the bar.
CHUNK = 500


def _export_of(job: StaffJob) -> StaffExport | None:
    export = EXPORTS.get(str(job.params.get("export", "")))
    return export if export is not None and export.kind == job.params.get("kind") else None


def _allows(user: Any, job: StaffJob) -> bool:
    export = _export_of(job)
    scope = str(job.params.get("scope", ""))
    return export is not None and scope in SCOPES and export.allows(partial(has_role, user), scope)


def _back(job: StaffJob) -> str:
    return reverse("dashboards:staff-exports", args=[job.params.get("kind"), job.scope_id])


def register_kind() -> None:
    readers = {role for e in EXPORTS.values() for role in (*e.managers, *e.readers)}
    kind_register(
        JobKind(
            name=KIND,
            label=gettext_lazy("Export pour les agents"),
            task=TASK,
            roles=tuple(sorted(readers)),
            result_template="dashboards/_export_job_result.html",
            allows=_allows,
            back_url=_back,
        )
    )


def staff_export_job_request(
    *, actor: User, kind: str, target_id: int, name: str, fmt: str, scope: str
) -> StaffJob:
    """Record the job of one export (checked as the direct download is) and enqueue it."""
    export = EXPORTS.get(name)
    finder = TARGETS.get(kind)
    if export is None or export.kind != kind or finder is None or finder(target_id) is None:
        raise NotFound(_("Cet export n'existe pas."))
    if fmt not in FORMATS:
        raise DomainError(_("Format inconnu : choisissez csv ou xlsx."), code="export_format")
    if scope not in SCOPES:
        raise DomainError(
            _("Portée inconnue : choisissez public (petits effectifs masqués) ou internal."),
            code="export_scope",
        )
    if not export.allows(partial(has_role, actor), scope):
        raise NotFound(_("Cet export n'existe pas."))
    return job_create(
        kind=KIND,
        actor=actor,
        params={"kind": kind, "export": name, "format": fmt, "scope": scope},
        scope_id=target_id,
    )


def staff_export_job_run(*, job_id: int) -> int:
    """The task: write the export's file. Returns its rows."""
    job = job_claim(job_id)
    if job is None:
        return 0
    export = _export_of(job)
    if export is None:  # an export withdrawn since the job was recorded
        job_fail(job, _("Cet export n'existe plus."))
        return 0
    scope, fmt, target_id = job.params["scope"], job.params["format"], int(job.scope_id or 0)
    rows = export_rows(export, target_id, scope)
    job_restart(job, total=len(rows))
    fields = export.fields(scope)
    written = _counted(job, rows)  # the bar moves as the rows are written into the file
    stamp = timezone.localdate().isoformat()
    filename = f"{export.name}-{target_id}-{scope}-{stamp}.{fmt}"
    if fmt == "csv":
        data = "".join(csv_rows(fields, written)).encode()
        content_type = "text/csv; charset=utf-8"
    else:
        with xlsx_file(str(export.title), fields, written) as out:
            data = out.read()
        content_type = XLSX_TYPE
    with transaction.atomic():
        job_finish(
            job,
            result={"rows": len(rows), "bytes": len(data), "name": filename},
            output=data,
            output_name=filename,
            output_type=content_type,
        )
    return len(rows)


def _counted(job: StaffJob, rows: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The rows, moving the job's progress after each CHUNK written (each move commits)."""
    pending = 0
    for row in rows:
        yield row
        pending += 1
        if pending == CHUNK:
            job_advance(job, pending)
            pending = 0
    if pending:
        job_advance(job, pending)


__all__ = ["KIND", "staff_export_job_request", "staff_export_job_run"]
