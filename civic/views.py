"""Pages of the civic core: home, verification, inbox, personal data, staff desk and imports."""

from __future__ import annotations

import importlib
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from civic.auth import authenticated_user
from civic.errors import DomainError
from civic.forms import DeskVerificationForm, RegisterImportForm, VerificationForm
from civic.http_cache import public_page
from civic.jobs import jobs_of
from civic.models import DeskRequest, Notification, RegisterEntry, User
from civic.notifications import (
    notification_mark_read,
    notifications_mark_all_read,
    unread_count,
)
from civic.personal_data import personal_data_of, personal_data_sections
from civic.ratelimits import RateLimited, client_address
from civic.roles import Role, has_role
from civic.second_factor import CODE as SECOND_FACTOR_REQUIRED
from civic.second_factor import enrolment_redirect, second_factor_missing
from civic.services.register_jobs import KIND as REGISTER_IMPORT_KIND
from civic.services.register_jobs import register_import_job_request
from civic.services.verification import resident_verify_at_desk, resident_verify_by_match
from civic.store import database_ping
from civic.theme import colours, contrast_ratio, theme_css

# Each instrument may offer `home_section(request) -> dict | None` in its selectors module: the home
# page shows what is open now without the core knowing the instruments' models.
_INSTRUMENTS = ("petitions", "referendums", "assembly")


def _home_sections(request: HttpRequest) -> list[dict[str, Any]]:
    sections = []
    for app in _INSTRUMENTS:
        try:
            selectors = importlib.import_module(f"{app}.selectors")
        except ModuleNotFoundError:
            continue
        section = getattr(selectors, "home_section", None)
        if section is not None and (data := section(request)) is not None:
            sections.append(data)
    return sections


@public_page
def home(request: HttpRequest) -> HttpResponse:
    actions = [
        {
            "title": _("Signer une initiative"),
            "text": _(
                "Soutenez une proposition d'habitantes et d'habitants : à chaque palier franchi, "
                "la ville s'engage."
            ),
            "url": "/initiatives/",
        },
        {
            "title": _("Voter"),
            "text": _("Votations et référendums en cours, au vote secret."),
            "url": "/referendums/",
        },
        {
            "title": _("Lancer une initiative"),
            "text": _("Proposez un projet à la ville avec au moins un co-porteur."),
            "url": reverse("petitions:create"),
        },
    ]
    context = {"sections": _home_sections(request), "actions": actions}
    return render(request, "civic/home.html", context)


def theme_stylesheet(request: HttpRequest) -> HttpResponse:
    """The city's colours as CSS custom properties; its URL changes with them (civic/theme.py)."""
    response = HttpResponse(theme_css(), content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


# The living documentation of the design system: each component's markup, rendered and shown.
DESIGN_COMPONENTS = (
    ("breadcrumbs", gettext_lazy("Fil d'Ariane")),
    ("buttons", gettext_lazy("Boutons")),
    ("fields", gettext_lazy("Champs, indications et erreurs")),
    ("error_summary", gettext_lazy("Récapitulatif des erreurs")),
    ("radios", gettext_lazy("Boutons radio et cases à cocher")),
    ("banners", gettext_lazy("Bandeaux d'information")),
    ("panel", gettext_lazy("Panneau de confirmation")),
    ("tags", gettext_lazy("Étiquettes")),
    ("summary_list", gettext_lazy("Liste récapitulative")),
    ("tables", gettext_lazy("Tableaux")),
    ("pagination", gettext_lazy("Pagination")),
    ("cards", gettext_lazy("Cartes")),
)


@public_page
def design(request: HttpRequest) -> HttpResponse:
    components = [
        {
            "slug": slug,
            "title": title,
            "html": render_to_string(f"civic/design/{slug}.html", request=request).strip(),
        }
        for slug, title in DESIGN_COMPONENTS
    ]
    palette = [
        {"name": name, "value": value, "contrast": contrast_ratio(value, "#ffffff")}
        for name, value in colours().items()
    ]
    return render(request, "civic/design.html", {"components": components, "palette": palette})


def _error(request: HttpRequest, *, status: int, code: str, detail: str) -> HttpResponse:
    """API paths answer in the API's error format; pages answer with a page of the site."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": code, "detail": detail}, status=status)
    return render(request, "error.html", {"status": status, "detail": detail}, status=status)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, status=404, code="not_found", detail=_("Cette page n'existe pas."))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if second_factor_missing(request.user):
        if request.path.startswith("/api/"):
            detail = _("Activez une double authentification avant d'ouvrir l'espace agents.")
            return JsonResponse({"code": SECOND_FACTOR_REQUIRED, "detail": detail}, status=403)
        return enrolment_redirect(request)
    return _error(
        request,
        status=403,
        code="permission_denied",
        detail=_("Vous n'avez pas accès à cette page."),
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, status=400, code="bad_request", detail=_("Requête invalide."))


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "server_error", "detail": "An unexpected error occurred."}, status=500
        )
    return render(request, "500.html", status=500)


def healthz(request: HttpRequest) -> HttpResponse:
    database_ping()
    return HttpResponse("ok", content_type="text/plain")


@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    user = authenticated_user(request)
    form = VerificationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            resident_verify_by_match(
                user=user, client_address=client_address(request), **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(None, str(exc.detail))
            if isinstance(exc, RateLimited):
                return render(request, "civic/verify.html", {"form": form}, status=429)
        else:
            messages.success(request, _("Votre compte est vérifié. Vous pouvez participer."))
            return redirect("home")
    return render(request, "civic/verify.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def inbox(request: HttpRequest) -> HttpResponse:
    user = authenticated_user(request)
    if request.method == "POST":
        if request.POST.get("all") == "read":
            if done := notifications_mark_all_read(user=user):
                messages.success(
                    request,
                    ngettext(
                        "%(n)s message marqué comme lu.", "%(n)s messages marqués comme lus.", done
                    )
                    % {"n": done},
                )
        elif (pk := request.POST.get("read", "")).isdigit():
            notification_mark_read(user=user, notification_id=int(pk))
        return redirect("inbox")
    items = Notification.objects.filter(recipient=user).order_by("-id")[:100]
    return render(
        request,
        "civic/inbox.html",
        {"notifications": items, "unread": unread_count(user=user)},
    )


@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    """Every personal datum the toolkit holds on the resident (GDPR art. 15 and 20): readable
    summary lists, and the same data as a JSON file beside them."""
    user = authenticated_user(request)
    data = personal_data_of(user)
    if request.GET.get("format") == "json":
        response = JsonResponse(data, encoder=DjangoJSONEncoder, json_dumps_params={"indent": 2})
        response["Content-Disposition"] = 'attachment; filename="mes-donnees.json"'
        return response
    return render(request, "civic/my_data.html", {"sections": personal_data_sections(data)})


def open_desk_requests() -> list[DeskRequest]:
    """The desk's queue: residents whose identity nearly matched, oldest first."""
    return list(
        DeskRequest.objects.filter(closed_at__isnull=True)
        .select_related("user")
        .order_by("created_at", "id")[:200]
    )


def _require_staff(request: HttpRequest, *roles: str) -> None:
    if not has_role(request.user, *roles):
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def register_import_view(request: HttpRequest) -> HttpResponse:
    """The upload: the file is checked, then imported by a background job whose page follows it."""
    _require_staff(request, Role.ADMINISTRATOR)
    form = RegisterImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = register_import_job_request(
                data=upload.read(),
                filename=upload.name,
                actor=authenticated_user(request),
                strict=form.cleaned_data["strict"],
                confirm_strike_offs=form.cleaned_data["confirm_strike_offs"],
            )
        except DomainError as exc:
            form.add_error("file", str(exc.detail))
        else:
            messages.success(request, _("Import enregistré : il s'applique en arrière-plan."))
            return redirect("staff-job", pk=job.pk)
    return render(
        request,
        "civic/register_import.html",
        {"form": form, "jobs": jobs_of(REGISTER_IMPORT_KIND)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def desk_verify(request: HttpRequest) -> HttpResponse:
    _require_staff(request, Role.ADMINISTRATOR, Role.MODERATOR)
    form = DeskVerificationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = User.objects.filter(email=form.cleaned_data["email"].lower()).first()
        entry = RegisterEntry.objects.filter(ref=form.cleaned_data["entry_ref"]).first()
        if user is None or entry is None:
            form.add_error(None, _("Compte ou inscription introuvable."))
        else:
            try:
                resident_verify_at_desk(
                    agent=authenticated_user(request),
                    user_id=user.pk,
                    entry_id=entry.pk,
                )
            except DomainError as exc:
                form.add_error(None, str(exc.detail))
            else:
                messages.success(request, _("Compte vérifié au guichet."))
                return redirect("staff-desk-verify")
    return render(
        request,
        "civic/desk_verify.html",
        {"form": form, "desk_requests": open_desk_requests()},
    )
