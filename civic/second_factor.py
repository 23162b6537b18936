"""Staff second factor: a staff account holds no role until it has enrolled one (CNIL 2019-053).

Every staff check goes through `civic.roles.has_role`, which asks `has_second_factor` for staff and
superusers: a page then answers with the enrolment page (civic.views.permission_denied), the API
with 403 `second_factor_required` (civic.api.permissions), the admin with the enrolment page
(`SecondFactorMiddleware`). The factors are django-allauth's (`allauth.mfa`): TOTP with single-use
recovery codes, WebAuthn security keys; once one is enrolled, allauth asks for it at every login.
"""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

CODE = "second_factor_required"
# Types that count as a second factor on their own (recovery codes back one up, never replace it).
_FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def is_privileged(user: Any) -> bool:
    """Staff or superuser: an account that could hold a role."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.is_staff or user.is_superuser)
    )


def has_second_factor(user: Any) -> bool:
    """Whether `user` has enrolled a TOTP app or a security key (cached on the instance)."""
    cached: bool | None = getattr(user, "_civic_second_factor", None)
    if cached is None:
        cached = Authenticator.objects.filter(user_id=user.pk, type__in=_FACTORS).exists()
        user._civic_second_factor = cached
    return cached


def second_factor_check(user: Any, code: str) -> bool:
    """Whether `code` is a valid code of one of `user`'s factors: the current TOTP code (each
    accepted once, allauth remembers it for its period) or an unused recovery code (then spent).
    The login's second step for clients that cannot show allauth's page (the API token login)."""
    code = code.strip()
    if not code:
        return False
    kinds = (Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES)
    for authenticator in Authenticator.objects.filter(user_id=user.pk, type__in=kinds):
        if authenticator.wrap().validate_code(code):
            authenticator.record_usage()
            return True
    return False


def second_factor_missing(user: Any) -> bool:
    return is_privileged(user) and not has_second_factor(user)


def enrolment_redirect(request: HttpRequest) -> HttpResponse:
    """To allauth's second-factor page, coming back to where the agent was going."""
    return HttpResponseRedirect(
        f"{reverse('mfa_index')}?{urlencode({'next': request.get_full_path()})}"
    )


class SecondFactorMiddleware:
    """The admin checks `is_staff` itself, not the roles: send a staff account without a second
    factor to enrolment before it reaches any admin page."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/admin/") and second_factor_missing(request.user):
            return enrolment_redirect(request)
        response: HttpResponse = self.get_response(request)
        return response
