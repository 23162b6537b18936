"""The addresses of the sign-in with an OpenID Connect provider, outside the language prefix
(the provider knows one callback address): /oidc/authenticate/, /oidc/callback/, /oidc/logout/.

Every way a sign-in can end has its page: signed in, verified, sent to the desk, not found on the
register, cancelled at the provider, or refused (state, nonce, signature, expiry...)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib import auth, messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_POST
from mozilla_django_oidc.views import OIDCAuthenticationRequestView, OIDCLogoutView

from civic.errors import DomainError
from civic.oidc import provider
from civic.oidc.backend import ProviderBackend
from civic.oidc.logout import SESSION_ID_TOKEN
from civic.oidc.provider import ProviderUnavailable, TokenRejected
from civic.ratelimits import RateLimited, client_address, oidc_sign_in_start
from civic.services.identity_match import pivot_from_claims
from civic.services.oidc import Outcome, SignIn, resident_oidc_sign_in

logger = logging.getLogger(__name__)
_SESSION_BACKEND = "civic.auth_backend.ModelBackend"


class _StartView(OIDCAuthenticationRequestView):
    get_settings = staticmethod(provider.setting)

    def get_extra_params(self, request: HttpRequest) -> dict[str, str]:
        return {"acr_values": settings.OIDC_ACR_VALUES} if settings.OIDC_ACR_VALUES else {}


class _LogoutView(OIDCLogoutView):
    get_settings = staticmethod(provider.setting)


def _enabled() -> None:
    if not settings.OIDC_ENABLED:
        raise Http404


@require_GET
def start(request: HttpRequest) -> HttpResponse:
    """Send the browser to the provider with a fresh state and nonce (kept in the session)."""
    _enabled()
    try:
        oidc_sign_in_start(address=client_address(request))
        response = _StartView.as_view()(request)
    except (RateLimited, ProviderUnavailable) as exc:
        return _failure(request, exc)
    return response


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    """Sign out here, then at the provider (end-session with `id_token_hint`)."""
    response = _LogoutView.as_view()(request)
    response["Clear-Site-Data"] = '"cache"'
    return response


def _take_state(request: HttpRequest, state: str) -> dict[str, Any] | None:
    """The nonce and verifier kept for `state`, removed from the session: a state serves once."""
    states = request.session.get("oidc_states") or {}
    kept = states.pop(state, None) if state else None
    if kept is not None:
        request.session["oidc_states"] = states
    return kept


@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    _enabled()
    kept = _take_state(request, request.GET.get("state", ""))
    if request.GET.get("error"):
        return _provider_error(request, with_state=kept is not None)
    if kept is None or not request.GET.get("code"):
        logger.warning("oidc callback refused: state unknown or already used")
        return _page(
            request,
            "state",
            _("Cette demande de connexion a expiré ou a déjà servi. Recommencez la connexion."),
            status=400,
        )
    try:
        result, id_token = _sign_in(request, code=request.GET["code"], kept=kept)
    except DomainError as exc:
        return _failure(request, exc)
    return _signed_in(request, result, id_token)


def _sign_in(request: HttpRequest, *, code: str, kept: dict[str, Any]) -> tuple[SignIn, str]:
    backend = ProviderBackend()
    tokens = backend.exchange_code(
        code=code,
        redirect_uri=request.build_absolute_uri(reverse("oidc-callback")),
        code_verifier=kept.get("code_verifier"),
    )
    claims = backend.verify_token(tokens["id_token"], nonce=kept.get("nonce"))
    userinfo = backend.get_userinfo(str(tokens.get("access_token", "")), tokens["id_token"], claims)
    current = request.user if request.user.is_authenticated else None
    result = resident_oidc_sign_in(
        issuer=settings.OIDC_ISSUER,
        subject=str(claims["sub"]),
        pivot=pivot_from_claims(userinfo),
        current=current,
    )
    return result, tokens["id_token"]


def _signed_in(request: HttpRequest, result: SignIn, id_token: str) -> HttpResponse:
    logger.info("oidc sign-in: %s", result.outcome)
    if result.user is None:
        return _page(
            request,
            Outcome.NO_MATCH,
            _(
                "Vous êtes bien identifié·e, mais nous n'avons trouvé aucune inscription à votre nom "
                "sur la liste électorale ou au registre des résidents. Aucun compte n'a été créé."
            ),
        )
    auth.login(request, result.user, backend=_SESSION_BACKEND)
    request.session[SESSION_ID_TOKEN] = id_token
    if result.outcome == Outcome.DESK:
        response = _page(
            request,
            Outcome.DESK,
            _(
                "Vous êtes connecté·e, mais votre identité ne correspond pas exactement à une "
                "inscription au registre. Votre demande est transmise au guichet de la mairie."
            ),
        )
    else:
        if result.outcome == Outcome.VERIFIED:
            messages.success(request, _("Votre compte est vérifié. Vous pouvez participer."))
        next_url = request.session.pop("oidc_login_next", None)
        response = HttpResponseRedirect(next_url or reverse("home"))
    response["Clear-Site-Data"] = '"cache"'
    return response


_TOKEN_MESSAGES = {
    "nonce": gettext_noop(
        "La réponse du fournisseur d'identité ne correspond pas à votre demande de connexion."
    ),
    "expired": gettext_noop("La réponse du fournisseur d'identité a expiré."),
}
_TOKEN_UNCHECKED = gettext_noop("La réponse du fournisseur d'identité n'a pas pu être vérifiée.")


def _failure(request: HttpRequest, exc: DomainError) -> HttpResponse:
    logger.warning("oidc sign-in refused: %s", exc.code)
    if isinstance(exc, TokenRejected):
        reason = _(_TOKEN_MESSAGES.get(exc.code, _TOKEN_UNCHECKED))
        detail = _(
            "%(reason)s Vous n'êtes pas connecté·e et rien n'a été enregistré. "
            "Recommencez la connexion."
        ) % {"reason": reason}
    elif isinstance(exc, ProviderUnavailable):
        detail = _("Le fournisseur d'identité ne répond pas. Réessayez dans quelques minutes.")
    else:
        detail = str(exc.detail)
    response = _page(request, exc.code, detail, status=exc.status)
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    return response


def _provider_error(request: HttpRequest, *, with_state: bool) -> HttpResponse:
    error = request.GET.get("error", "")[:64]
    logger.warning("oidc provider answered error=%s", error)
    if error == "access_denied":
        detail = _(
            "Vous avez annulé la connexion avec %(provider)s. Aucun compte n'a été créé ni modifié."
        ) % {"provider": settings.OIDC_PROVIDER_NAME}
        return _page(request, "cancelled", detail)
    return _page(
        request,
        "provider_error",
        _("%(provider)s n'a pas pu vous identifier.") % {"provider": settings.OIDC_PROVIDER_NAME},
        status=400,
        provider_error=error,
        provider_description=request.GET.get("error_description", "")[:300],
    )


def _page(
    request: HttpRequest, code: str, detail: str, *, status: int = 200, **extra: Any
) -> HttpResponse:
    return render(
        request,
        "civic/oidc_outcome.html",
        {"code": code, "detail": detail, "provider_name": settings.OIDC_PROVIDER_NAME, **extra},
        status=status,
    )
