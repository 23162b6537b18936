"""The page of a staff member's background job (civic/jobs.py): its progress (civic/progress.py),
with an "Actualiser" link while it runs and a small script that updates it in place (no reload;
the JSON status serves other clients), then its outcome, or the file it produced, for the roles of
its kind only."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from civic.audit import audit_record
from civic.jobs import job_allowed, kind_of
from civic.models import StaffJob
from civic.progress import JobProgress, progress_refresh
from civic.roles import has_role


def job_progress(job: StaffJob) -> JobProgress:
    """The job's progress as its row records it (the task moves it with each chunk)."""
    created = date_format(timezone.localtime(job.created_at), "j F Y H:i")
    return JobProgress(
        key=f"staff-job-{job.pk}",
        label=_("%(kind)s du %(date)s") % {"kind": kind_of(job.kind).label, "date": created},
        state=str(job.get_state_display()),
        done=job.done,
        total=job.total,
        running=job.running,
    )


def _job_for(request: HttpRequest, pk: int, *fields: str) -> StaffJob:
    """The job, for those who may run its kind (403 otherwise) on its object (404 otherwise)."""
    job = StaffJob.objects.select_related("actor").defer(*fields).filter(pk=pk).first()
    if job is None:
        if not request.user.is_staff:
            raise PermissionDenied
        raise Http404
    if not has_role(request.user, *kind_of(job.kind).roles):
        raise PermissionDenied
    if not job_allowed(request.user, job):
        raise Http404
    return job


@login_required
def staff_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for(request, pk, "payload", "output")
    kind = kind_of(job.kind)
    progress = job_progress(job)
    return render(
        request,
        "civic/staff_job.html",
        {
            "job": job,
            "progress": progress,
            "refresh": progress_refresh([progress]),
            "result_template": kind.result_template,
            "back_url": kind.back_url(job) if kind.back_url else None,
        },
    )


@login_required
def staff_job_status(request: HttpRequest, pk: int) -> JsonResponse:
    """The job's state in JSON, for a page that follows it with a script."""
    job = _job_for(request, pk, "payload", "output")
    progress = job_progress(job)
    response = JsonResponse(
        {
            "id": job.pk,
            "state": job.state,
            "done": job.done,
            "total": job.total,
            "percent": progress.percent,
            "running": job.running,
            "error": job.error,
        }
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
def staff_job_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The file an export job produced: private, for the same roles, never cached."""
    job = _job_for(request, pk, "payload")
    if not job.output_name or job.output is None:
        raise Http404
    with transaction.atomic():
        audit_record(
            actor=request.user,  # type: ignore[arg-type]
            verb="staff_job.file_downloaded",
            target=job,
            after={"kind": job.kind, "name": job.output_name},
        )
    response = HttpResponse(bytes(job.output), content_type=job.output_type)
    response["Content-Disposition"] = f'attachment; filename="{job.output_name}"'
    response["Cache-Control"] = "private, no-store"
    return response
