"""Staff pages of moderation (suspend, unpublish, reinstate an initiative; extend, suspend, resume
its collection) and of the documents of the city's answers, and the public download of those
documents. Plain POST forms: no JavaScript needed."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseGone
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from civic.roles import Role, has_role
from petitions import selectors, services
from petitions.forms import (
    DocumentForm,
    ExtendForm,
    ReasonForm,
    ReplaceDocumentForm,
    WithdrawDocumentForm,
)
from petitions.models import Initiative, Moderation, Obligation, ObligationDocument, Status
from petitions.rules import collection_window_running, is_moderator, is_public, public_q
from petitions.views._common import run_service, user_of, visible_or_404

# Each button of the moderation page: (the service, the message on success).
ACTIONS: dict[str, tuple[Any, str]] = {
    "suspend": (services.initiative_suspend, _("L'initiative est suspendue.")),
    "unpublish": (services.initiative_unpublish, _("L'initiative est dépubliée.")),
    "reinstate": (services.initiative_reinstate, _("L'initiative est rétablie.")),
    "pause": (services.collection_suspend, _("La collecte est suspendue.")),
    "resume": (services.collection_resume, _("La collecte a repris.")),
}


def _require_moderator(request: HttpRequest) -> None:
    if not is_moderator(request.user):
        raise PermissionDenied


@login_required
@require_GET
def staff_moderation(request: HttpRequest) -> HttpResponse:
    """The moderators' list: initiatives suspended or unpublished, collections suspended, and the
    public initiatives a moderator may act on."""
    _require_moderator(request)
    public = Initiative.objects.filter(public_q()).order_by("-updated_at", "-id")
    return render(
        request,
        "petitions/staff_moderation_list.html",
        {
            "moderated": public.exclude(moderation=Moderation.PUBLIC),
            "paused": public.filter(
                moderation=Moderation.PUBLIC, collection_paused_at__isnull=False
            ),
            "collecting": public.filter(
                status=Status.COLLECTING,
                moderation=Moderation.PUBLIC,
                collection_paused_at__isnull=True,
            )[:200],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def staff_initiative_moderation(request: HttpRequest, pk: int) -> HttpResponse:
    _require_moderator(request)
    initiative = visible_or_404(request, pk)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    data = request.POST if request.method == "POST" else None
    reason_form = ReasonForm(data if action in ACTIONS else None, prefix="m")
    extend_form = ExtendForm(data if action == "extend" else None, prefix="x")
    if request.method == "POST" and _act(request, pk, action, reason_form, extend_form):
        return redirect("petitions:staff-moderation-initiative", pk=pk)
    return render(
        request,
        "petitions/staff_moderation.html",
        {
            "initiative": initiative,
            "reason_form": reason_form,
            "extend_form": extend_form,
            "history": selectors.history_of(initiative),
            "window_running": collection_window_running(initiative, now=timezone.now()),
            "public": is_public(published_at=initiative.published_at, status=initiative.status),
            "staff_paused": services.collection.collection_suspended_by_staff(initiative),
            "days_left": services.extension_days_left(initiative),
        },
    )


def _act(
    request: HttpRequest, pk: int, action: str, reason_form: ReasonForm, extend_form: ExtendForm
) -> bool:
    """Run the button pressed; True once done (a refusal is a message, the form kept)."""
    actor = user_of(request)
    if action == "extend":
        if not extend_form.is_valid():
            return False
        days, reason = extend_form.cleaned_data["days"], extend_form.cleaned_data["reason"]
        return run_service(
            request,
            _("La collecte est prolongée."),
            lambda: services.collection_extend(
                initiative_id=pk, actor=actor, days=days, reason=reason
            ),
        )
    if action not in ACTIONS:
        raise Http404
    if not reason_form.is_valid():
        return False
    service, success = ACTIONS[action]
    reason = reason_form.cleaned_data["reason"]
    return run_service(
        request, success, lambda: service(initiative_id=pk, actor=actor, reason=reason)
    )


def _may_attach(user: Any) -> bool:
    return has_role(user, Role.MODERATOR, Role.ASSEMBLY_CLERK)


@login_required
@require_http_methods(["GET", "POST"])
def staff_obligation_documents(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff attach the documents of the city's answer to an obligation met."""
    if not _may_attach(request.user):
        raise PermissionDenied
    obligation = Obligation.objects.select_related("initiative").filter(pk=pk).first()
    if obligation is None:
        raise Http404
    form = DocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload, title = form.cleaned_data["file"], form.cleaned_data["title"]
        done = run_service(
            request,
            _("Document ajouté à la réponse de la ville."),
            lambda: services.obligation_document_attach(
                obligation_id=pk, actor=user_of(request), upload=upload, title=title
            ),
        )
        if done:
            return redirect("petitions:staff-obligation-documents", pk=pk)
    return render(
        request,
        "petitions/staff_obligation_documents.html",
        {"obligation": obligation, "form": form, "documents": obligation.documents.all()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def staff_obligation_document_change(
    request: HttpRequest, pk: int, document_pk: int, action: str
) -> HttpResponse:
    """Withdraw or replace one document of the city's answer: a page that states what follows and
    asks for the public reason and a confirmation (no JavaScript needed)."""
    if not _may_attach(request.user):
        raise PermissionDenied
    document = (
        ObligationDocument.objects.select_related("obligation__initiative")
        .filter(pk=document_pk, obligation_id=pk, withdrawn_at__isnull=True)
        .first()
    )
    if document is None:
        raise Http404
    data = request.POST if request.method == "POST" else None
    form: WithdrawDocumentForm | ReplaceDocumentForm
    if action == "withdraw":
        form = WithdrawDocumentForm(data, prefix="w")
    else:
        form = ReplaceDocumentForm(data, request.FILES or None, prefix="r")
    if request.method == "POST" and form.is_valid() and _change(request, document, action, form):
        return redirect("petitions:staff-obligation-documents", pk=pk)
    return render(
        request,
        "petitions/staff_obligation_document_change.html",
        {"document": document, "obligation": document.obligation, "action": action, "form": form},
    )


def _change(request: HttpRequest, document: ObligationDocument, action: str, form: Any) -> bool:
    actor = user_of(request)
    reason = form.cleaned_data["reason"]
    if action == "withdraw":
        return run_service(
            request,
            _("Document retiré ; son retrait est public."),
            lambda: services.obligation_document_withdraw(
                obligation_id=document.obligation_id,
                document_id=document.pk,
                actor=actor,
                reason=reason,
            ),
        )
    return run_service(
        request,
        _("Document remplacé ; le remplacement est public."),
        lambda: services.obligation_document_replace(
            obligation_id=document.obligation_id,
            document_id=document.pk,
            actor=actor,
            upload=form.cleaned_data["file"],
            title=form.cleaned_data["title"],
            reason=reason,
        ),
    )


@require_GET
def obligation_document(request: HttpRequest, pk: int) -> HttpResponse | FileResponse:
    """A document of the city's answer, always as a download of its checked type: never rendered
    by the browser in the site's origin (attachment, nosniff, a sandboxing policy)."""
    document = ObligationDocument.objects.select_related("obligation__initiative").filter(pk=pk)
    found = document.first()
    if found is None:
        raise Http404
    initiative = found.obligation.initiative
    visible = is_public(published_at=initiative.published_at, status=initiative.status)
    if not visible and not _may_attach(request.user):
        raise Http404
    if found.withdrawn_at is not None:
        # Its history stays on the initiative's page; the file itself is gone for good.
        return HttpResponseGone(
            _("Ce document a été retiré ou remplacé ; son historique reste public."),
            content_type="text/plain; charset=utf-8",
        )
    try:
        handle = found.file.open("rb")
    except OSError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=found.filename, content_type=found.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response
