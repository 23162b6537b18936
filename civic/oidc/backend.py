"""mozilla-django-oidc's backend with the checks a FranceConnect relying party owes.

The code exchange is the library's (`get_token`); the ID token is checked here in full (signature
against the JWKS, issuer, audience, expiry, nonce, `acr`), and so is the userinfo answer, a JWT
signed like the ID token whose `sub` must be the ID token's. Nothing here creates an account: the
callback view hands the checked claims to civic.services.oidc."""

from __future__ import annotations

import hmac
from typing import Any

import requests
from django.conf import settings
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from civic.oidc import provider
from civic.oidc.provider import RESIDENT, Profile, ProviderUnavailable, TokenRejected


class ProviderBackend(OIDCAuthenticationBackend):
    """`ProviderBackend()` for the residents' provider, `ProviderBackend(provider.STAFF)` for the
    staff's single sign-on: the same checks, each provider's own settings."""

    def __init__(self, profile: Profile = RESIDENT) -> None:
        self.profile = profile
        super().__init__()

    def get_settings(self, attr: str, *args: Any) -> Any:
        return provider.setting(attr, *args, profile=self.profile)

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None) -> dict:
        payload = {
            "client_id": self.profile.get("RP_CLIENT_ID"),
            "client_secret": self.profile.get("RP_CLIENT_SECRET"),
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
        }
        if code_verifier is not None:
            payload["code_verifier"] = code_verifier
        try:
            tokens = self.get_token(payload)
        except (requests.RequestException, ValueError):
            raise ProviderUnavailable("token endpoint") from None
        if not isinstance(tokens, dict) or not tokens.get("id_token"):
            raise TokenRejected("no id_token", code="malformed")
        return tokens

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        """The ID token's claims, after every check; `nonce` is the one kept in the session."""
        claims = provider.decode(
            token, require=["iss", "aud", "exp", "iat", "sub", "nonce"], profile=self.profile
        )
        expected = kwargs.get("nonce") or ""
        if not expected or not hmac.compare_digest(str(claims["nonce"]), expected):
            raise TokenRejected("nonce", code="nonce")
        if not str(claims["sub"]).strip():
            raise TokenRejected("empty subject", code="malformed")
        wanted = self.profile.get("ACR_VALUES")
        if wanted and claims.get("acr") not in wanted.split():
            raise TokenRejected("acr", code="acr")
        return claims

    def get_userinfo(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        try:
            response = requests.get(
                self.OIDC_OP_USER_ENDPOINT,
                headers={"Authorization": f"Bearer {access_token}"},
                timeout=settings.OIDC_TIMEOUT,
            )
            response.raise_for_status()
        except requests.RequestException:
            raise ProviderUnavailable("userinfo endpoint") from None
        if response.headers.get("content-type", "").lower().startswith("application/jwt"):
            claims = provider.decode(
                response.text.strip(), require=["iss", "aud", "sub"], profile=self.profile
            )
        elif self.profile.get("USERINFO_SIGNED"):
            raise TokenRejected("userinfo not signed", code="userinfo_unsigned")
        else:
            try:
                claims = response.json()
            except ValueError:
                raise TokenRejected("userinfo", code="malformed") from None
        if not isinstance(claims, dict) or claims.get("sub") != payload.get("sub"):
            raise TokenRejected("userinfo of another subject", code="subject")
        return claims
