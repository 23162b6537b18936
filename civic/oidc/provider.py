"""The provider as the settings and its discovery document describe it, and its signing keys.

Two providers go through this code: the residents' (`RESIDENT`, settings `OIDC_*`, FranceConnect)
and the staff's single sign-on (`STAFF`, settings `STAFF_OIDC_*`, ProConnect). Both documents are
kept per process for OIDC_METADATA_SECONDS; a token whose signature does not check against the kept
keys makes the keys be read again once (the provider rotated them)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
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
# The settings each provider has of its own (`OIDC_<name>` or `STAFF_OIDC_<name>`); the others
# (state and nonce sizes, timeouts, leeway) are shared.
_PER_PROVIDER = frozenset(
    {
        "ENABLED",
        "PROVIDER_NAME",
        "ISSUER",
        "RP_CLIENT_ID",
        "RP_CLIENT_SECRET",
        "RP_SCOPES",
        "ACR_VALUES",
        "RP_SIGN_ALGOS",
        "USERINFO_SIGNED",
        "AUTHENTICATION_CALLBACK_URL",
        *(name.removeprefix("OIDC_") for name in _SETTING_TO_METADATA),
    }
)


@dataclass(frozen=True)
class Profile:
    """One provider's settings, read from `django.conf.settings` at each use (tests change them)."""

    prefix: str

    def get(self, name: str) -> Any:
        return getattr(settings, self.prefix + name)

    @property
    def issuer(self) -> str:
        return str(self.get("ISSUER"))

    def name_of(self, setting_name: str) -> str:
        """`OIDC_RP_CLIENT_ID` -> this provider's own setting of that name."""
        short = setting_name.removeprefix("OIDC_")
        return self.prefix + short if short in _PER_PROVIDER else setting_name


RESIDENT = Profile("OIDC_")
STAFF = Profile("STAFF_OIDC_")

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


def discovery(profile: Profile = RESIDENT) -> dict[str, Any]:
    document = _kept_json(f"{profile.issuer}/.well-known/openid-configuration")
    if not isinstance(document, dict) or document.get("issuer", "").rstrip("/") != (profile.issuer):
        raise ProviderUnavailable("discovery document of another issuer")
    return document


def setting(name: str, *default: Any, profile: Profile = RESIDENT) -> Any:
    """A setting as mozilla-django-oidc asks for it (`OIDC_RP_CLIENT_ID`...), this provider's own
    when it has one; an endpoint left empty comes from discovery."""
    value = getattr(settings, profile.name_of(name), None)
    if name in _SETTING_TO_METADATA and not value:
        value = discovery(profile).get(_SETTING_TO_METADATA[name], "")
        if not value and default:
            return default[0]
        return value
    if value is None:
        if default:
            return default[0]
        raise AttributeError(name)
    return value


def _signing_key(token: str, *, refresh: bool, profile: Profile) -> jwt.PyJWK:
    header = jwt.get_unverified_header(token)
    if header.get("alg") not in profile.get("RP_SIGN_ALGOS"):
        raise TokenRejected("algorithm not accepted", code="algorithm")
    jwks = _kept_json(setting("OIDC_OP_JWKS_ENDPOINT", profile=profile), refresh=refresh)
    for candidate in jwks.get("keys", []):
        if candidate.get("kid") != header.get("kid"):
            continue
        if candidate.get("alg", header["alg"]) != header["alg"] or candidate.get("use") == "enc":
            continue
        return jwt.PyJWK(candidate)
    raise TokenRejected("no key with this kid", code="unknown_key")


def decode(token: str, *, require: list[str], profile: Profile = RESIDENT) -> dict[str, Any]:
    """The claims of a JWT signed by the provider, its issuer and audience checked (and `exp` when
    present); the keys are read again once if the signature does not check against those kept."""
    for refresh in (False, True):
        try:
            key = _signing_key(token, refresh=refresh, profile=profile)
            return jwt.decode(
                token,
                key=key,
                algorithms=profile.get("RP_SIGN_ALGOS"),
                audience=profile.get("RP_CLIENT_ID"),
                issuer=profile.issuer,
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
