"""Staff page of invalidations (count first, then confirm; progress; undo) and the public register
of rejected signatures. Plain POST forms: no JavaScript needed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from civic.errors import DomainError
from civic.progress import JobProgress, progress_refresh
from petitions import selectors, services
from petitions.forms import InvalidationForm
from petitions.models import Invalidation, InvalidationState
from petitions.rules import is_moderator
from petitions.views._common import run_service, user_of, visible_or_404

RUNNING = (InvalidationState.PENDING, InvalidationState.RUNNING, InvalidationState.UNDOING)


def _require_moderator(request: HttpRequest) -> None:
    if not is_moderator(request.user):
        raise PermissionDenied


def _submit(request: HttpRequest, pk: int, form: InvalidationForm) -> tuple[int | None, int | None]:
    """Count (first press) or confirm (second press, with the count shown). Returns the count to
    confirm (None once recorded or refused) and the recorded invalidation's id."""
    criteria = form.criteria()
    actor = user_of(request)
    if request.POST.get("action") != "confirm":
        matched = services.invalidation_preview(initiative_id=pk, criteria=criteria, actor=actor)
        if matched == 0:
            form.add_error(
                None,
                _("Aucune signature comptée ne correspond à ces critères : rien n'est invalidé."),
            )
            return None, None
        return matched, None
    invalidation = services.invalidation_request(
        initiative_id=pk,
        criteria=criteria,
        reason=form.cleaned_data["reason"],
        note=form.cleaned_data.get("note") or "",
        expected=form.cleaned_data.get("expected"),
        actor=actor,
    )
    messages.success(request, _("Invalidation enregistrée : elle s'applique en arrière-plan."))
    return None, invalidation.pk


@login_required
@require_http_methods(["GET", "POST"])
def staff_invalidations(request: HttpRequest, pk: int) -> HttpResponse:
    _require_moderator(request)
    initiative = visible_or_404(request, pk)
    form = InvalidationForm(request.POST or None)
    to_confirm = None
    if request.method == "POST" and form.is_valid():
        try:
            to_confirm, recorded = _submit(request, pk, form)
        except DomainError as exc:
            form.add_error(None, str(exc.detail))
        else:
            if recorded is not None:  # to the job's own page, which follows its progress
                return redirect("petitions:staff-invalidation", pk=recorded)
            if to_confirm is not None:
                data = request.POST.copy()
                data["expected"] = str(to_confirm)
                form = InvalidationForm(data)
                form.is_valid()
    rows = selectors.invalidations_of(initiative_id=pk)
    return render(
        request,
        "petitions/staff_invalidations.html",
        {
            "initiative": initiative,
            "form": form,
            "to_confirm": to_confirm,
            "invalidations": [(row, invalidation_progress(row)) for row in rows],
            "trending": selectors.trending_sources(initiative_id=pk),
        },
    )


def invalidation_progress(invalidation: Invalidation) -> JobProgress:
    """The job's progress as its row records it (the task moves it with each chunk)."""
    created = date_format(timezone.localtime(invalidation.created_at), "j F Y H:i")
    return JobProgress(
        key=f"invalidation-{invalidation.pk}",
        label=_("Invalidation du %(date)s") % {"date": created},
        state=str(invalidation.get_state_display()),
        done=invalidation.progress,
        total=invalidation.matched,
        running=invalidation.state in RUNNING,
    )


@login_required
def staff_invalidation(request: HttpRequest, pk: int) -> HttpResponse:
    """One invalidation's page: its progress while the job runs (a link to refresh, updated in
    place with JavaScript: civic/progress.py), what it removed, and the undo once it is applied.
    Moderators only."""
    _require_moderator(request)
    invalidation = get_object_or_404(Invalidation.objects.select_related("initiative"), pk=pk)
    job = invalidation_progress(invalidation)
    return render(
        request,
        "petitions/staff_invalidation.html",
        {
            "invalidation": invalidation,
            "initiative": invalidation.initiative,
            "job": job,
            "refresh": progress_refresh([job]),
        },
    )


@login_required
@require_POST
def staff_invalidation_undo(request: HttpRequest, pk: int) -> HttpResponse:
    _require_moderator(request)
    invalidation = Invalidation.objects.filter(pk=pk).only("initiative_id").first()
    run_service(
        request,
        _("Annulation lancée : les signatures comptent de nouveau une fois le travail terminé."),
        lambda: services.invalidation_undo_request(invalidation_id=pk, actor=user_of(request)),
    )
    if invalidation is None:
        return redirect("petitions:staff-queue")
    return redirect("petitions:staff-invalidation", pk=pk)


def rejection_register(request: HttpRequest, pk: int) -> HttpResponse:
    initiative = visible_or_404(request, pk)
    register = selectors.rejection_register(initiative_id=pk)
    return render(
        request,
        "petitions/rejections.html",
        {"initiative": initiative, "register": register.as_dict()},
    )
