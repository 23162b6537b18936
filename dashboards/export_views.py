"""Staff exports: the page that lists them for an initiative or a mandate, and the download
(role-checked, audited, streamed). A format or scope other than those offered is a 400 that says
which are."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from civic.audit import audit_record
from civic.auth import authenticated_user
from civic.errors import DomainError, NotFound
from civic.jobs import jobs_of
from civic.opendata import csv_rows
from civic.roles import has_role
from dashboards.export_jobs import KIND as EXPORT_JOB_KIND
from dashboards.export_jobs import staff_export_job_request
from dashboards.exports import (
    EXPORTS,
    FORMATS,
    INTERNAL,
    PUBLIC,
    SCOPES,
    TARGETS,
    XLSX_TYPE,
    StaffExport,
    export_rows,
    xlsx_file,
)


def _target_or_404(kind: str, target_id: int) -> Any:
    finder = TARGETS.get(kind)
    target = finder(target_id) if finder else None
    if target is None:
        raise Http404
    return target


@login_required
@require_GET
def staff_exports(request: HttpRequest, kind: str, target_id: int) -> HttpResponse:
    """The exports of one initiative or mandate that the user's roles allow."""
    target = _target_or_404(kind, target_id)
    roles = partial(has_role, request.user)
    offered = [
        {
            "export": e,
            "scopes": [s for s in (PUBLIC, INTERNAL) if e.allows(roles, s)],
        }
        for e in EXPORTS.values()
        if e.kind == kind
    ]
    offered = [o for o in offered if o["scopes"]]
    if not offered:
        raise Http404  # staff pages do not reveal themselves to others
    return render(
        request,
        "dashboards/staff_exports.html",
        {
            "target": target,
            "kind": kind,
            "offered": offered,
            "formats": FORMATS,
            "scopes": (PUBLIC, INTERNAL),
            "threshold": settings.SMALL_CELL_THRESHOLD,
            "jobs": [
                job
                for job in jobs_of(EXPORT_JOB_KIND, scope_id=target_id)
                if job.params.get("kind") == kind and job.actor_id == request.user.pk
            ],
        },
    )


@login_required
@require_POST
def staff_export_job(request: HttpRequest, kind: str, target_id: int) -> HttpResponse:
    """Prepare an export in the background: to the job's page, which offers the file once written."""
    try:
        job = staff_export_job_request(
            actor=authenticated_user(request),
            kind=kind,
            target_id=target_id,
            name=request.POST.get("export", ""),
            fmt=request.POST.get("format", "csv"),
            scope=request.POST.get("scope", PUBLIC),
        )
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        return HttpResponseBadRequest(str(exc.detail), content_type="text/plain; charset=utf-8")
    return redirect("staff-job", pk=job.pk)


def _bad_parameter(fmt: str, scope: str) -> HttpResponse | None:
    if fmt not in FORMATS:
        return HttpResponseBadRequest(
            _("Format inconnu : choisissez csv ou xlsx."), content_type="text/plain; charset=utf-8"
        )
    if scope not in SCOPES:
        return HttpResponseBadRequest(
            _("Portée inconnue : choisissez public (petits effectifs masqués) ou internal."),
            content_type="text/plain; charset=utf-8",
        )
    return None


@login_required
@require_GET
def staff_export(
    request: HttpRequest, kind: str, target_id: int, name: str
) -> HttpResponse | StreamingHttpResponse:
    export = EXPORTS.get(name)
    if export is None or export.kind != kind:
        raise Http404
    fmt = request.GET.get("format", "csv")
    scope = request.GET.get("scope", PUBLIC)
    if not export.allows(partial(has_role, request.user), scope if scope in SCOPES else PUBLIC):
        raise Http404
    target = _target_or_404(kind, target_id)
    refusal = _bad_parameter(fmt, scope)
    if refusal is not None:
        return refusal
    with transaction.atomic():
        audit_record(
            actor=request.user,  # type: ignore[arg-type]
            verb="staff_export.downloaded",
            target=target,
            after={"export": name, "format": fmt, "scope": scope},
        )
    return _response(export, target_id, fmt, scope)


def _response(
    export: StaffExport, target_id: int, fmt: str, scope: str
) -> HttpResponse | StreamingHttpResponse:
    rows = export_rows(export, target_id, scope)
    fields = export.fields(scope)
    stamp = timezone.localdate().isoformat()
    filename = f"{export.name}-{target_id}-{scope}-{stamp}.{fmt}"
    response: HttpResponse | StreamingHttpResponse
    if fmt == "csv":
        response = StreamingHttpResponse(
            csv_rows(fields, rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    else:
        response = FileResponse(
            xlsx_file(str(export.title), fields, rows),
            as_attachment=True,
            filename=filename,
            content_type=XLSX_TYPE,
        )
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
