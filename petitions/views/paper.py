"""Staff pages of printed paper forms: issue a batch, download its PDF."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from civic.eligibility import RULES, Predicate
from civic.errors import DomainError
from petitions import batch_code, services
from petitions.forms import PaperBatchForm
from petitions.models import Initiative, PaperBatch
from petitions.paper_form import FormContent, form_pdf
from petitions.rules import is_moderator
from petitions.views._common import user_of, visible_or_404


def _staff_or_403(request: HttpRequest) -> None:
    if not is_moderator(request.user):
        raise PermissionDenied


def who_may_sign(initiative: Initiative) -> list[str]:
    """Each track's "who may sign", in the eligibility predicate's own words and rule."""
    return [
        f"{t.instrument_type.localized_name} : {Predicate(t.predicate).label} ({RULES[t.predicate]})"
        for t in initiative.tracks.all()
    ]


def form_content(initiative: Initiative, batch: PaperBatch) -> FormContent:
    page = f"{settings.SITE_URL}{initiative.get_absolute_url()}?{batch_code.QUERY_KEY}={batch.code}"
    closes = initiative.closes_at
    return FormContent(
        city=str(settings.CITY_NAME),
        initiative_id=initiative.pk,
        title=initiative.title,
        summary=initiative.summary,
        who_may_sign=who_may_sign(initiative),
        closes_on=date_format(localtime(closes), "j F Y") if closes else "",
        page_url=page,
        batch_code=batch.code,
        sheets=batch.sheets,
        issued_at=batch.issued_at,
    )


@login_required
@require_http_methods(["GET", "POST"])
def paper_forms(request: HttpRequest, pk: int) -> HttpResponse:
    """The initiative's printed batches, and the form that issues a new one."""
    _staff_or_403(request)
    initiative = visible_or_404(request, pk)
    form = PaperBatchForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.paper_batch_issue(
                initiative_id=pk, actor=user_of(request), sheets=form.cleaned_data["sheets"]
            )
        except DomainError as exc:
            form.add_error(None, str(exc.detail))
        else:
            messages.success(
                request,
                _("Lot %(code)s créé : téléchargez et imprimez son PDF.") % {"code": batch.code},
            )
            return redirect("petitions:paper-forms", pk=pk)
    batches = PaperBatch.objects.filter(initiative_id=pk).select_related("issued_by")
    return render(
        request,
        "petitions/staff_paper_forms.html",
        {"initiative": initiative, "form": form, "batches": batches},
    )


@login_required
@require_GET
def paper_form_pdf(request: HttpRequest, pk: int, batch_pk: int) -> HttpResponse:
    _staff_or_403(request)
    initiative = visible_or_404(request, pk)
    batch = get_object_or_404(PaperBatch, pk=batch_pk)
    if batch.initiative_id != initiative.pk:
        raise Http404
    response = HttpResponse(
        form_pdf(form_content(initiative, batch)), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="formulaire-{pk}-{batch.code}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
