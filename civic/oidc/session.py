"""Opening the toolkit's session after a provider vouched for a person.

A staff or superuser account never skips its second factor because a provider signed it in: the
session opens through allauth's login stages, which ask for the TOTP code or the security key
(civic/second_factor.py), unless the staff provider asserted a multi-factor login listed in
STAFF_OIDC_MFA_ACR / STAFF_OIDC_MFA_AMR (`mfa_asserted`). A resident's session opens at once."""

from __future__ import annotations

from typing import Any

from allauth.account.internal.flows.login import record_authentication
from allauth.account.utils import perform_login
from django.conf import settings
from django.contrib import auth
from django.http import HttpRequest, HttpResponse

from civic.models import User
from civic.oidc.logout import SESSION_FLOW, SESSION_ID_TOKEN
from civic.second_factor import is_privileged

_SESSION_BACKEND = "civic.auth_backend.ModelBackend"


def mfa_asserted(claims: dict[str, Any]) -> bool:
    """Whether the staff provider's ID token says the person passed a multi-factor login."""
    acr_ok = bool(settings.STAFF_OIDC_MFA_ACR) and claims.get("acr") in settings.STAFF_OIDC_MFA_ACR
    amr = claims.get("amr") or []
    amr_ok = isinstance(amr, list) and bool(set(amr) & set(settings.STAFF_OIDC_MFA_AMR))
    return acr_ok or amr_ok


def open_session(
    request: HttpRequest,
    user: User,
    *,
    flow: str,
    id_token: str,
    issuer: str,
    mfa: bool = False,
    next_url: str | None = None,
) -> HttpResponse | None:
    """Sign `user` in. Returns allauth's response (the second-factor step, or the page after the
    login) for a privileged account asked for its factor; None when the session is open and the
    caller chooses where to go."""
    record_authentication(request, user, method="oidc", issuer=issuer, mfa_asserted=mfa)
    if is_privileged(user) and not mfa:
        response: HttpResponse = perform_login(
            request, user, email_verification="none", redirect_url=next_url
        )
        # Kept for the provider's logout; the session's user is only set once the factor passed.
        request.session[SESSION_ID_TOKEN] = id_token
        request.session[SESSION_FLOW] = flow
        return response
    auth.login(request, user, backend=_SESSION_BACKEND)
    request.session[SESSION_ID_TOKEN] = id_token
    request.session[SESSION_FLOW] = flow
    return None
