"""Staff bulk actions as background jobs (civic.models.StaffJob), the same way for every app.

1. `job_create`: the staff page records the job (who, what, when, the uploaded file), audits it and
   enqueues its task once the request commits; the page then redirects to the job's own page.
2. The task (`acks_late`, so a killed worker's job is redelivered) calls `job_claim` (PENDING ->
   RUNNING; None once the job is over, so a redelivered finished job does nothing), moves the
   progress in the transaction of each chunk (`job_advance`), and ends with `job_finish` (in the
   transaction that applies the last of its work) or `job_fail` (a clear message; the uploaded file
   is erased either way).
3. The job's page (civic/job_views.py) shows it with civic/progress.py, to the roles of its kind
   only, and for a scoped kind only to those who may act on its object.

An app declares each of its kinds with `kind_register` (in its `ready`), naming its task, the roles
that may run it, the check of its scope and the template of its outcome: the core knows no app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from celery import current_app
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Least
from django.utils import timezone

from civic.audit import audit_record
from civic.models import JobState, StaffJob, User
from civic.roles import has_role


@dataclass(frozen=True)
class JobKind:
    name: str
    label: Any  # a lazy sentence
    task: str
    roles: tuple[str, ...]
    result_template: str
    # May this user act on what this job acts on (its object, its options)? Else the job is not
    # found for them (404), as the pages of that object are not.
    allows: Callable[[Any, StaffJob], bool] | None = None
    back_url: Callable[[StaffJob], str] | None = None


_KINDS: dict[str, JobKind] = {}


def kind_register(kind: JobKind) -> None:
    _KINDS[kind.name] = kind


def kind_of(name: str) -> JobKind:
    return _KINDS[name]


def job_allowed(user: Any, job: StaffJob) -> bool:
    """Whether this user may see this job: a role that may run its kind, and its object in reach."""
    kind = _KINDS.get(job.kind)
    if kind is None or not has_role(user, *kind.roles):
        return False
    return kind.allows is None or kind.allows(user, job)


def job_create(
    *,
    kind: str,
    actor: User,
    payload: bytes = b"",
    filename: str = "",
    params: dict[str, Any] | None = None,
    scope_id: int | None = None,
    total: int | None = None,
) -> StaffJob:
    """Record the job and enqueue its task once the caller's transaction commits."""
    definition = _KINDS[kind]
    with transaction.atomic():
        job = StaffJob.objects.create(
            kind=kind,
            actor=actor,
            payload=payload,
            filename=filename[:255],
            params=params or {},
            scope_id=scope_id,
            total=total,
        )
        audit_record(
            actor=actor,
            verb="staff_job.create",
            target=job,
            after={"kind": kind, "scope_id": scope_id, "bytes": len(payload), "total": total},
        )
        current_app.tasks[definition.task].delay_on_commit(job.pk)
    return job


def job_claim(job_id: int) -> StaffJob | None:
    """PENDING -> RUNNING (a redelivered running job is taken again, to resume); None once over."""
    with transaction.atomic():
        job = StaffJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state not in (JobState.PENDING, JobState.RUNNING):
            return None
        if job.state == JobState.PENDING:
            job.state = JobState.RUNNING
            job.started_at = timezone.now()
            job.save(update_fields=["state", "started_at"])
        return job


def job_advance(job: StaffJob, steps: int, *, result: dict[str, Any] | None = None) -> None:
    """Move the progress by `steps` (and the partial outcome): in the caller's transaction, the
    one that applied those steps, so the bar never runs ahead of what is done."""
    changes: dict[str, Any] = {
        "done": Least(F("done") + steps, F("total")) if job.total is not None else F("done") + steps
    }
    if result is not None:
        changes["result"] = result
    StaffJob.objects.filter(pk=job.pk).update(**changes)


def job_restart(job: StaffJob, *, total: int | None) -> None:
    """Start the count afresh (a job that redoes all its work when redelivered: an export)."""
    StaffJob.objects.filter(pk=job.pk).update(done=0, total=total)
    job.done, job.total = 0, total


def job_finish(
    job: StaffJob,
    *,
    result: dict[str, Any],
    output: bytes | None = None,
    output_name: str = "",
    output_type: str = "",
) -> None:
    """The job is done (call it in the transaction of its last work: a redelivery then sees it
    over). The uploaded file is erased."""
    StaffJob.objects.filter(pk=job.pk, state=JobState.RUNNING).update(
        state=JobState.DONE,
        done=F("total") if job.total is not None else F("done"),
        result=result,
        payload=b"",
        output=output,
        output_name=output_name[:255],
        output_type=output_type[:100],
        finished_at=timezone.now(),
    )
    audit_record(
        actor=job.actor,
        verb="staff_job.done",
        target=job,
        after={"kind": job.kind, "output_bytes": len(output or b"")},
    )


def job_fail(job: StaffJob, message: str, *, result: dict[str, Any] | None = None) -> None:
    """The job stopped: its message is shown on its page; the uploaded file is erased."""
    with transaction.atomic():
        changes: dict[str, Any] = {
            "state": JobState.FAILED,
            "error": message,
            "payload": b"",
            "finished_at": timezone.now(),
        }
        if result is not None:
            changes["result"] = result
        StaffJob.objects.filter(pk=job.pk, state__in=[JobState.PENDING, JobState.RUNNING]).update(
            **changes
        )
        audit_record(actor=job.actor, verb="staff_job.failed", target=job, after={"kind": job.kind})


def jobs_of(kind: str, *, scope_id: int | None = None, limit: int = 10) -> list[StaffJob]:
    """The latest jobs of a kind (of one object for a scoped kind), without their files."""
    rows = StaffJob.objects.filter(kind=kind).defer("payload", "output").select_related("actor")
    if scope_id is not None:
        rows = rows.filter(scope_id=scope_id)
    return list(rows[:limit])
