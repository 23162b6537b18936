"""The upload of a keyed file of paper signatures: checked, then entered by a background job whose
page (civic/job_views.py) follows its progress and shows its report. Moderators only."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from civic.errors import DomainError
from civic.jobs import jobs_of
from petitions.forms import PaperImportForm
from petitions.rules import is_moderator
from petitions.services.paper_jobs import KIND, paper_import_job_request
from petitions.views._common import user_of, visible_or_404


@login_required
@require_http_methods(["GET", "POST"])
def staff_paper_import(request: HttpRequest, pk: int) -> HttpResponse:
    if not is_moderator(request.user):
        raise PermissionDenied
    initiative = visible_or_404(request, pk)
    form = PaperImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = paper_import_job_request(
                initiative_id=pk, actor=user_of(request), data=upload.read(), filename=upload.name
            )
        except DomainError as exc:
            form.add_error("file", str(exc.detail))
        else:
            messages.success(request, _("Import enregistré : il s'applique en arrière-plan."))
            return redirect("staff-job", pk=job.pk)
    return render(
        request,
        "petitions/staff_paper_import.html",
        {"initiative": initiative, "form": form, "jobs": jobs_of(KIND, scope_id=pk)},
    )
