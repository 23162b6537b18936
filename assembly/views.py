"""Public pages: the assembly, sessions, minutes, recommendations, volunteer sign-up.
Every form works without JavaScript."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from assembly import selectors
from assembly.forms import (
    VolunteerForm,
)
from assembly.minutes_pdf import minutes_document, minutes_published
from assembly.models import (
    DrawCommitment,
    InvitationStatus,
    Session,
    SessionStatus,
    Volunteer,
)
from assembly.rules import MAJORITY_RULES, sees_unpublished
from assembly.services import recruitment
from assembly.withdrawn import minutes_public_body
from civic.errors import DomainError
from civic.http_cache import public_page
from civic.models import User
from civic.pdf import document_link, document_response
from civic.roles import Role, has_role


@public_page
def index(request: HttpRequest) -> HttpResponse:
    mandate = selectors.mandate_current()
    if mandate is not None:
        return redirect("assembly:mandate", pk=mandate.pk)
    return render(request, "assembly/index.html", {"mandates": selectors.mandate_list()})


@public_page
def mandate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    mandate = get_object_or_404(selectors.mandate_list(), pk=pk)
    context = {
        "mandate": mandate,
        "members": selectors.member_list(mandate=mandate),
        "composition": selectors.composition(mandate=mandate),
        "commitment": DrawCommitment.objects.filter(mandate=mandate).first(),
        "sessions": selectors.session_list(mandate=mandate)[:50],
        "mandates": selectors.mandate_list(),
        "majority_rules": MAJORITY_RULES,
        "is_clerk": has_role(request.user, Role.ASSEMBLY_CLERK),
    }
    return render(request, "assembly/mandate.html", context)


def draw_bundle(request: HttpRequest, pk: int) -> JsonResponse:
    mandate = get_object_or_404(selectors.mandate_list(), pk=pk)
    commitment = get_object_or_404(DrawCommitment, mandate=mandate)
    response = JsonResponse(
        selectors.draw_bundle(commitment),
        json_dumps_params={"ensure_ascii": False, "indent": 1},
    )
    response["Content-Disposition"] = f'attachment; filename="tirage-{mandate.pk}.json"'
    return response


@public_page
def recommendations(request: HttpRequest, pk: int) -> HttpResponse:
    mandate = get_object_or_404(selectors.mandate_list(), pk=pk)
    return render(
        request,
        "assembly/recommendations.html",
        {"mandate": mandate, "recommendations": selectors.recommendation_list(mandate=mandate)},
    )


def _session(request: HttpRequest, pk: int) -> tuple[Session, bool]:
    """The session this visitor may see (a planned one only for its staff), and whether they are
    its staff."""
    staff = sees_unpublished(request.user)
    qs = selectors.session_detail_queryset()
    if not staff:
        qs = qs.exclude(status=SessionStatus.PLANNED)
    return get_object_or_404(qs, pk=pk), staff


@public_page
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session, staff = _session(request, pk)
    minutes = getattr(session, "minutes", None)
    if minutes is not None and minutes.status != "published" and not staff:
        minutes = None
    published = minutes_published(session)
    pdf = None
    if published is not None:
        pdf = document_link(
            minutes_document(session, published),
            reverse("assembly:session-minutes-pdf", args=[session.pk]),
        )
    return render(
        request,
        "assembly/session.html",
        {
            "session": session,
            "minutes": minutes,
            "minutes_body": minutes_public_body(minutes) if minutes is not None else "",
            "minutes_pdf": pdf,
            "is_clerk": has_role(request.user, Role.ASSEMBLY_CLERK),
        },
    )


@public_page
def session_minutes_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The published minutes as a PDF: public exactly when the page shows them to everyone."""
    session, _staff = _session(request, pk)
    minutes = minutes_published(session)
    if minutes is None:
        raise Http404
    return document_response(minutes_document(session, minutes))


@require_http_methods(["GET", "POST"])
def volunteer_signup(request: HttpRequest, token: str) -> HttpResponse:
    invitation = recruitment.invitation_from_token(token)
    if invitation is None:
        return render(request, "assembly/volunteer_invalid.html", status=404)
    mandate = invitation.mandate
    if invitation.status != InvitationStatus.SENT:
        volunteer = Volunteer.objects.filter(invitation=invitation).first()
        if request.method == "POST" and request.POST.get("withdraw") and volunteer is not None:
            try:
                recruitment.volunteer_withdraw(volunteer_id=volunteer.pk, actor=None)
            except DomainError as exc:
                messages.error(request, str(exc.detail))
            else:
                messages.info(request, _("Vous avez quitté le vivier du tirage."))
            return redirect("assembly:volunteer", token=token)
        return render(
            request,
            "assembly/volunteer_done.html",
            {"mandate": mandate, "invitation": invitation, "volunteer": volunteer},
        )
    form = VolunteerForm(request.POST or None, mandate=mandate)
    if request.method == "POST" and request.POST.get("decline"):
        recruitment.invitation_decline(token=token)
        messages.info(request, _("Votre réponse est enregistrée. Merci."))
        return redirect("assembly:volunteer", token=token)
    if request.method == "POST" and form.is_valid():
        try:
            volunteer = recruitment.volunteer_signup(
                token=token,
                declared=form.declared(),
                consent=form.cleaned_data["consent"],
                email=form.cleaned_data["email"],
                phone=form.cleaned_data["phone"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc.detail))
        else:
            return render(
                request,
                "assembly/volunteer_done.html",
                {"mandate": mandate, "volunteer": volunteer},
            )
    return render(
        request,
        "assembly/volunteer.html",
        {
            "form": form,
            "mandate": mandate,
            "first_name": (
                invitation.register_entry.first_names.split()[0]
                if invitation.register_entry is not None
                else ""
            ),
        },
    )


@login_required
def invitations_export(request: HttpRequest, pk: int) -> HttpResponse:
    if not has_role(request.user, Role.ASSEMBLY_CLERK):
        raise PermissionDenied
    body = recruitment.invitations_csv(
        mandate_id=pk, actor=cast(User, request.user), base_url=settings.SITE_URL
    )
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="invitations-{pk}.csv"'
    return response
