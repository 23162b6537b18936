"""Initiative pages: list, detail, drafting and the lifecycle transitions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from civic.errors import DomainError
from civic.http_cache import public_page
from petitions import selectors, services
from petitions.forms import InitiativeFilterForm, InitiativeForm, InviteForm, RejectForm
from petitions.rules import is_initiator
from petitions.views._common import (
    run_service,
    summary_row,
    user_of,
    visible_or_404,
)
from petitions.workflow import EDITABLE


@public_page
def initiative_list(request: HttpRequest) -> HttpResponse:
    form = InitiativeFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    query = selectors.initiative_list(viewer=request.user, filters=filters)
    page = Paginator(query, 20).get_page(request.GET.get("page"))
    rows = [summary_row(i) for i in page.object_list]
    querystring = request.GET.copy()
    querystring.pop("page", None)
    return render(
        request,
        "petitions/list.html",
        {"form": form, "page": page, "rows": rows, "querystring": querystring.urlencode()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def initiative_create(request: HttpRequest) -> HttpResponse:
    """The guided steps lead residents (GET); the one-page form still takes a complete POST."""
    if request.method == "GET":
        return redirect("petitions:guided", step="instrument")
    form = InitiativeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            initiative = services.initiative_create(
                actor=user_of(request),
                title=data["title"],
                summary=data["summary"],
                body=data["body"],
                instrument_slugs=data["instruments"],
                district_id=data["district"].pk if data["district"] else None,
            )
        except DomainError as exc:
            form.add_error(None, str(exc.detail))
        else:
            messages.success(request, _("Brouillon créé. Invitez vos co-porteurs."))
            return redirect("petitions:detail", pk=initiative.pk)
    return render(request, "petitions/form.html", {"form": form, "creating": True})


@login_required
@require_http_methods(["GET", "POST"])
def initiative_edit(request: HttpRequest, pk: int) -> HttpResponse:
    initiative = visible_or_404(request, pk)
    if not is_initiator(request.user, initiative) or initiative.status not in EDITABLE:
        raise PermissionDenied
    initial = {
        "title": initiative.title,
        "summary": initiative.summary,
        "body": initiative.body,
        "district": initiative.district,
        "instruments": [t.instrument_type.slug for t in initiative.tracks.all()],
    }
    form = InitiativeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        slugs = data["instruments"] if data["instruments"] != initial["instruments"] else None
        if run_service(
            request,
            _("Brouillon enregistré."),
            lambda: services.initiative_update(
                initiative_id=pk,
                actor=user_of(request),
                instrument_slugs=slugs,
                title=data["title"],
                summary=data["summary"],
                body=data["body"],
                district_id=data["district"].pk if data["district"] else None,
            ),
        ):
            return redirect("petitions:detail", pk=pk)
    return render(
        request, "petitions/form.html", {"form": form, "creating": False, "initiative": initiative}
    )


@login_required
@require_POST
def initiative_invite(request: HttpRequest, pk: int) -> HttpResponse:
    form = InviteForm(request.POST)
    if form.is_valid():
        run_service(
            request,
            _("Si un compte utilise cette adresse, l'invitation lui est envoyée."),
            lambda: services.promoter_invite(
                initiative_id=pk, actor=user_of(request), email=form.cleaned_data["email"]
            ),
        )
    else:
        messages.error(request, _("Adresse e-mail invalide."))
    return redirect("petitions:detail", pk=pk)


@login_required
@require_POST
def initiative_cosign(request: HttpRequest, pk: int) -> HttpResponse:
    run_service(
        request,
        _("Vous avez cosigné l'initiative."),
        lambda: services.promoter_cosign(initiative_id=pk, user=user_of(request)),
    )
    return redirect("petitions:detail", pk=pk)


# Lazy: the messages are built at import time and read in the language of each request.
_TRANSITIONS: dict[str, tuple[Callable[..., Any], Promise]] = {
    "submit": (services.initiative_submit, gettext_lazy("Initiative déposée.")),
    "review": (services.initiative_review_start, gettext_lazy("Examen commencé.")),
    "publish": (services.initiative_publish, gettext_lazy("Collecte ouverte.")),
    "withdraw": (services.initiative_withdraw, gettext_lazy("Initiative retirée.")),
}


@login_required
@require_POST
def initiative_transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    service, success = _TRANSITIONS[action]
    visible_or_404(request, pk)
    run_service(request, str(success), lambda: service(initiative_id=pk, actor=user_of(request)))
    return redirect("petitions:detail", pk=pk)


@login_required
@require_POST
def initiative_reject(request: HttpRequest, pk: int) -> HttpResponse:
    form = RejectForm(request.POST)
    if form.is_valid():
        run_service(
            request,
            _("Initiative déclarée irrecevable."),
            lambda: services.initiative_reject(
                initiative_id=pk,
                actor=user_of(request),
                reason_code=form.cleaned_data["reason"].code,
                text=form.cleaned_data["text"],
            ),
        )
    else:
        messages.error(request, _("Choisissez un motif."))
    return redirect("petitions:detail", pk=pk)


@login_required
def my_initiatives(request: HttpRequest) -> HttpResponse:
    query = selectors.initiative_list(viewer=request.user, filters={"mine": True})
    return render(request, "petitions/mine.html", {"rows": [summary_row(i) for i in query[:200]]})
