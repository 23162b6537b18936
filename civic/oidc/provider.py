"""The provider as the settings and its discovery document describe it, and its signing keys.

Both documents are kept per process for OIDC_METADATA_SECONDS; a token whose signature does not
check against the kept keys makes the keys be read again once (the provider rotated them)."""

from __future__ import annotations

import threading
import time
from typing import Any

import jwt
import requests
from django.conf import settings

from civic.errors import DomainError

_SETTING_TO_METADATA = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    "OIDC_OP_END_SESSION_ENDPOINT": "end_session_endpoint",
}
_lock = threading.Lock()
_kept: dict[str, tuple[float, Any]] = {}


class ProviderUnavailable(DomainError):
    status = 502
    default_code = "provider_unavailable"


class TokenRejected(DomainError):
    """A token from the provider failed a check; `code` names which (signature, nonce, expired...)."""

    status = 400
    default_code = "token_rejected"


def _fetch_json(url: str) -> Any:
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"{url}: {type(exc).__name__}") from None


def _kept_json(url: str, *, refresh: bool = False) -> Any:
    now = time.monotonic()
    with _lock:
        hit = _kept.get(url)
    if hit is not None and not refresh and now - hit[0] < settings.OIDC_METADATA_SECONDS:
        return hit[1]
    value = _fetch_json(url)
    with _lock:
        _kept[url] = (now, value)
    return value


def forget() -> None:
    """Drop the kept documents (tests, or an operator after changing provider)."""
    with _lock:
        _kept.clear()


def discovery() -> dict[str, Any]:
    document = _kept_json(f"{settings.OIDC_ISSUER}/.well-known/openid-configuration")
    if not isinstance(document, dict) or document.get("issuer", "").rstrip("/") != (
        settings.OIDC_ISSUER
    ):
        raise ProviderUnavailable("discovery document of another issuer")
    return document


def setting(name: str, *default: Any) -> Any:
    """A setting as mozilla-django-oidc asks for it: an endpoint left empty comes from discovery."""
    value = getattr(settings, name, None)
    if name in _SETTING_TO_METADATA and not value:
        value = discovery().get(_SETTING_TO_METADATA[name], "")
        if not value and default:
            return default[0]
        return value
    if value is None:
        if default:
            return default[0]
        raise AttributeError(name)
    return value


def _signing_key(token: str, *, refresh: bool) -> jwt.PyJWK:
    header = jwt.get_unverified_header(token)
    if header.get("alg") not in settings.OIDC_RP_SIGN_ALGOS:
        raise TokenRejected("algorithm not accepted", code="algorithm")
    jwks = _kept_json(setting("OIDC_OP_JWKS_ENDPOINT"), refresh=refresh)
    for candidate in jwks.get("keys", []):
        if candidate.get("kid") != header.get("kid"):
            continue
        if candidate.get("alg", header["alg"]) != header["alg"] or candidate.get("use") == "enc":
            continue
        return jwt.PyJWK(candidate)
    raise TokenRejected("no key with this kid", code="unknown_key")


def decode(token: str, *, require: list[str]) -> dict[str, Any]:
    """The claims of a JWT signed by the provider, its issuer and audience checked (and `exp` when
    present); the keys are read again once if the signature does not check against those kept."""
    for refresh in (False, True):
        try:
            key = _signing_key(token, refresh=refresh)
            return jwt.decode(
                token,
                key=key,
                algorithms=settings.OIDC_RP_SIGN_ALGOS,
                audience=settings.OIDC_RP_CLIENT_ID,
                issuer=settings.OIDC_ISSUER,
                leeway=settings.OIDC_LEEWAY_SECONDS,
                options={"require": require},
            )
        except TokenRejected as exc:
            if refresh or exc.code != "unknown_key":
                raise
        except jwt.InvalidSignatureError:
            if refresh:
                raise TokenRejected("bad signature", code="signature") from None
        except jwt.ExpiredSignatureError:
            raise TokenRejected("expired", code="expired") from None
        except jwt.InvalidIssuerError:
            raise TokenRejected("issuer", code="issuer") from None
        except jwt.InvalidAudienceError:
            raise TokenRejected("audience", code="audience") from None
        except jwt.PyJWTError as exc:
            raise TokenRejected(type(exc).__name__, code="malformed") from None
    raise TokenRejected("bad signature", code="signature")  # pragma: no cover (loop returns)
