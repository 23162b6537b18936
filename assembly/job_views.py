"""The clerk's page of a background job: the computation of a mandate's draw commitment (the
lottery the solver works out, seconds to minutes). It shows the job's state as its row records it
and follows it while the job runs (civic/progress.py: a link to refresh, updated in place with
JavaScript), then says how it ended."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from assembly.models import CommitmentJob, CommitmentJobStatus, DrawCommitment, Mandate
from civic.progress import JobProgress, progress_refresh
from civic.roles import Role, has_role


def commitment_progress(job: CommitmentJob) -> JobProgress:
    """The solver cannot count its steps: the bar says the job runs, the state says how far."""
    requested = date_format(timezone.localtime(job.requested_at), "d/m/Y H:i")
    return JobProgress(
        key=f"commitment-{job.pk}",
        label=_("Calcul de l'engagement demandé le %(when)s") % {"when": requested},
        state=str(job.get_status_display()),
        done=0,
        total=None,
        running=job.in_progress,
    )


@login_required
def commitment_job(request: HttpRequest, pk: int) -> HttpResponse:
    if not has_role(request.user, Role.ASSEMBLY_CLERK):
        raise PermissionDenied
    mandate = get_object_or_404(Mandate, pk=pk)
    job = get_object_or_404(CommitmentJob, mandate=mandate)
    progress = commitment_progress(job)
    return render(
        request,
        "assembly/commitment_job.html",
        {
            "mandate": mandate,
            "job": progress,
            "commitment_job": job,
            "failed": job.status == CommitmentJobStatus.FAILED,
            "commitment": DrawCommitment.objects.filter(mandate=mandate).first(),
            "refresh": progress_refresh([progress]),
        },
    )
