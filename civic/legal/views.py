"""The legal pages (public, cacheable: the same bytes for every visitor of one language)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from civic.auth import authenticated_user
from civic.errors import DomainError
from civic.http_cache import public_page
from civic.legal.deletion import account_delete as account_delete_service
from civic.legal.retention import all_periods
from civic.legal.services import legal_settings


def _page(request: HttpRequest, template: str, **extra: object) -> HttpResponse:
    context = {"legal": legal_settings(), "city": settings.CITY_NAME, **extra}
    return render(request, f"civic/legal/{template}.html", context)


@public_page
def legal_notice(request: HttpRequest) -> HttpResponse:
    return _page(request, "legal_notice")


@public_page
def privacy(request: HttpRequest) -> HttpResponse:
    periods = all_periods()
    return _page(
        request,
        "privacy",
        periods=periods,
        core={p.key: p for p in periods if ":" not in p.key},
        provider=settings.OIDC_PROVIDER_NAME,
        staff_provider=settings.STAFF_OIDC_PROVIDER_NAME,
    )


@public_page
def accessibility(request: HttpRequest) -> HttpResponse:
    return _page(request, "accessibility")


@public_page
def terms(request: HttpRequest) -> HttpResponse:
    return _page(request, "terms")


@public_page
def cookies(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        "cookies",
        session_cookie=settings.SESSION_COOKIE_NAME,
        csrf_cookie=settings.CSRF_COOKIE_NAME,
        language_cookie=settings.LANGUAGE_COOKIE_NAME,
        # referendums.receipt_cookie.COOKIE: named here, since the core does not import an instrument.
        receipt_cookie="vote_receipt",
        receipt_minutes=int(settings.RECEIPT_CHECK_MINUTES),
    )


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Votre mot de passe"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("Je comprends que la suppression est définitive."), required=True
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request: HttpRequest) -> HttpResponse:
    """Delete one's account: the password again, then POST (civic/legal/deletion.py)."""
    user = authenticated_user(request)
    form = DeleteAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account_delete_service(user=user, password=form.cleaned_data["password"])
        except DomainError as exc:
            form.add_error("password" if exc.code == "wrong_password" else None, str(exc.detail))
        else:
            logout(request)
            messages.success(request, _("Votre compte a été supprimé."))
            return redirect("home")
    status = 400 if form.errors else 200
    return render(request, "civic/legal/account_delete.html", {"form": form}, status=status)
