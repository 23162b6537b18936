"""Obligation and staff pages: the public list of obligations, marking one done, the moderators'
queue and paper entry."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from civic.errors import DomainError
from civic.http_cache import public_page
from civic.models import RegisterEntry
from petitions import batch_code, selectors, services
from petitions.forms import ObligationDoneForm, ObligationFilterForm, PaperForm, RejectForm
from petitions.models import Initiative, PaperRejectionReason, Status
from petitions.rules import is_moderator
from petitions.views._common import rejection_rows, run_service, user_of, visible_or_404


@public_page
def obligations(request: HttpRequest) -> HttpResponse:
    """The city's obligations: public (the same bytes for every anonymous visitor); a moderator,
    signed in, gets the forms that mark one done."""
    form = ObligationFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    query = selectors.obligations_public(overdue=True if data.get("overdue") else None)
    if data.get("kind"):
        query = query.filter(kind=data["kind"])
    page = Paginator(query, 50).get_page(request.GET.get("page"))
    rows = [{"obligation": o, "overdue": selectors.is_overdue(o)} for o in page.object_list]
    return render(
        request,
        "petitions/obligations.html",
        {
            "form": form,
            "rows": rows,
            "page": page,
            "done_form": ObligationDoneForm(),
            "is_moderator": is_moderator(request.user),
        },
    )


@login_required
@require_POST
def obligation_done(request: HttpRequest, pk: int) -> HttpResponse:
    form = ObligationDoneForm(request.POST)
    if form.is_valid():
        run_service(
            request,
            _("Engagement marqué comme tenu."),
            lambda: services.obligation_complete(
                obligation_id=pk, actor=user_of(request), evidence=form.cleaned_data["evidence"]
            ),
        )
    else:
        messages.error(request, _("Joignez un lien ou un texte."))
    return redirect("petitions:obligations")


@login_required
def staff_queue(request: HttpRequest) -> HttpResponse:
    if not is_moderator(request.user):
        raise PermissionDenied
    pending = (
        Initiative.objects.filter(status__in=[Status.SUBMITTED, Status.IN_REVIEW])
        .select_related("initiator")
        .order_by("submitted_at")
    )
    collecting = Initiative.objects.filter(status=Status.COLLECTING).order_by("closes_at")
    return render(
        request,
        "petitions/staff_queue.html",
        {"pending": pending, "collecting": collecting, "reject_form": RejectForm()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def staff_paper(request: HttpRequest, pk: int) -> HttpResponse:
    """One line of a paper form at a time; the batch code stays filled in between lines."""
    if not is_moderator(request.user):
        raise PermissionDenied
    initiative = visible_or_404(request, pk)
    form = PaperForm(request.POST or None, initial={"batch_code": request.GET.get("lot", "")})
    if request.method == "POST" and form.is_valid():
        try:
            outcome = _enter(request, pk, form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc.detail))
        else:
            if outcome.accepted:
                messages.success(request, _("Signature papier enregistrée."))
            else:
                messages.warning(
                    request,
                    _("Signature rejetée : %(reason)s.")
                    % {"reason": PaperRejectionReason(outcome.reason or "").label},
                )
            url = reverse("petitions:staff-paper", args=[pk])
            code = batch_code.parse(form.cleaned_data.get("batch_code") or "")
            return redirect(f"{url}?{urlencode({'lot': code})}" if code else url)
    return render(
        request,
        "petitions/staff_paper.html",
        {"initiative": initiative, "form": form, "rejections": rejection_rows(pk)},
    )


def _enter(request: HttpRequest, pk: int, data: dict[str, Any]) -> services.PaperOutcome:
    entry_id = None
    if data.get("register_ref"):
        entry_id = (
            RegisterEntry.objects.filter(ref=data["register_ref"])
            .values_list("pk", flat=True)
            .first()
        )
    return services.paper_signature_enter(
        initiative_id=pk,
        actor=user_of(request),
        register_entry_id=entry_id,
        last_name=None if entry_id else data.get("last_name"),
        first_names=None if entry_id else data.get("first_names"),
        birth_date=None if entry_id else data.get("birth_date"),
        sheet_ref=data.get("sheet_ref", ""),
        batch_code=data.get("batch_code") or "",
    )
