"""Staff single sign-on through the staff provider (ProConnect), the same code as the residents':
/oidc/staff/authenticate/ and /oidc/staff/callback/ (docs/identity.md, "Staff single sign-on").

The state is tagged "staff" when it is written, so a residents' state never serves here nor a
staff state at the residents' callback. The account is found by civic.services.staff_sso (no
account is ever created here); the session then opens with the toolkit's second factor unless the
provider asserted a multi-factor login listed in the settings (civic/oidc/session.py)."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_GET
from mozilla_django_oidc.views import OIDCAuthenticationRequestView

from civic.errors import DomainError
from civic.oidc import provider
from civic.oidc.backend import ProviderBackend
from civic.oidc.provider import STAFF, ProviderUnavailable
from civic.oidc.session import mfa_asserted, open_session
from civic.oidc.views import FLOW_KEY, failure, provider_error, state_refused, take_state
from civic.ratelimits import RateLimited, client_address, oidc_sign_in_start
from civic.services.staff_sso import staff_oidc_sign_in

logger = logging.getLogger(__name__)
FLOW = "staff"


def _staff_setting(name: str, *default: object) -> object:
    return provider.setting(name, *default, profile=STAFF)


class _StartView(OIDCAuthenticationRequestView):
    get_settings = staticmethod(_staff_setting)

    def get_extra_params(self, request: HttpRequest) -> dict[str, str]:
        acr = settings.STAFF_OIDC_ACR_VALUES
        return {"acr_values": acr} if acr else {}


def _enabled() -> None:
    if not settings.STAFF_OIDC_ENABLED:
        raise Http404


def _name() -> str:
    return str(settings.STAFF_OIDC_PROVIDER_NAME)


@require_GET
def start(request: HttpRequest) -> HttpResponse:
    """To the staff provider with a fresh state and nonce, the state tagged for this flow."""
    _enabled()
    try:
        oidc_sign_in_start(address=client_address(request))
        response = _StartView.as_view()(request)
    except (RateLimited, ProviderUnavailable) as exc:
        return failure(request, exc, provider_name=_name())
    state = parse_qs(urlsplit(response["Location"]).query).get("state", [""])[0]
    states = request.session.get("oidc_states") or {}
    if state in states:
        states[state][FLOW_KEY] = FLOW
        request.session["oidc_states"] = states
    return response


@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    _enabled()
    kept = take_state(request, request.GET.get("state", ""), flow=FLOW)
    if request.GET.get("error"):
        return provider_error(request, provider_name=_name())
    if kept is None or not request.GET.get("code"):
        return state_refused(request)
    backend = ProviderBackend(STAFF)
    try:
        tokens = backend.exchange_code(
            code=request.GET["code"],
            redirect_uri=request.build_absolute_uri(reverse("oidc-staff-callback")),
            code_verifier=kept.get("code_verifier"),
        )
        claims = backend.verify_token(tokens["id_token"], nonce=kept.get("nonce"))
        userinfo = backend.get_userinfo(
            str(tokens.get("access_token", "")), tokens["id_token"], claims
        )
        user = staff_oidc_sign_in(
            issuer=STAFF.issuer,
            subject=str(claims["sub"]),
            email=str(userinfo.get("email") or "").strip().lower(),
            email_trusted=userinfo.get("email_verified") is True
            or settings.STAFF_OIDC_EMAILS_VERIFIED,
        )
    except DomainError as exc:
        return failure(request, exc, provider_name=_name())
    mfa = mfa_asserted(claims)
    logger.info("staff sso login: mfa asserted by the provider=%s", mfa)
    next_url = request.session.pop("oidc_login_next", None)
    asked = open_session(
        request,
        user,
        flow=FLOW,
        id_token=tokens["id_token"],
        issuer=STAFF.issuer,
        mfa=mfa,
        next_url=next_url or reverse("staff-home"),
    )
    if asked is not None:
        return asked
    response = HttpResponseRedirect(next_url or reverse("staff-home"))
    response["Clear-Site-Data"] = '"cache"'
    return response
