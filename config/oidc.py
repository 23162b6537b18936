"""OpenID Connect sign-in for residents (docs/identity.md): any provider, FranceConnect by default.

Read from the environment like the rest of `config/settings.py`, which imports them all. The names
starting with `OIDC_` are mozilla-django-oidc's own settings where the library reads them; the
provider's endpoints come from its discovery document (`<issuer>/.well-known/openid-configuration`)
unless set one by one here."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str

_PRODUCTION = os.environ.get("CIVIC_PROFILE") == "production"

# Off unless the city has a client registration at the provider.
OIDC_ENABLED = env_bool("OIDC_ENABLED", default=False)
# The name the pages show ("S'identifier avec FranceConnect").
OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", "FranceConnect")
# The "what is it?" link under the button (FranceConnect's button guidelines ask for one).
OIDC_PROVIDER_INFO_URL = env_str("OIDC_PROVIDER_INFO_URL", "https://franceconnect.gouv.fr/")
# FranceConnect v2: https://oidc.franceconnect.gouv.fr/api/v2 (integration:
# https://fcp-low.sbx.dev-franceconnect.fr/api/v2).
OIDC_ISSUER = env_str("OIDC_ISSUER", "").rstrip("/")
OIDC_RP_CLIENT_ID = env_str("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_RP_CLIENT_SECRET", "")
# The pivot identity, the usage name and the e-mail address (the account's login).
OIDC_RP_SCOPES = env_str(
    "OIDC_RP_SCOPES",
    "openid given_name family_name preferred_username birthdate birthplace birthcountry gender email",
)
# The level of assurance asked for, and required in the ID token's `acr` claim ("" asks nothing).
OIDC_ACR_VALUES = env_str("OIDC_ACR_VALUES", "eidas1")
# The algorithms accepted for the ID token and the userinfo JWT, checked against the provider's JWKS.
OIDC_RP_SIGN_ALGOS = env_list("OIDC_RP_SIGN_ALGOS", ["ES256", "RS256"])
# FranceConnect answers the userinfo endpoint with a signed JWT; a plain JSON answer is refused.
OIDC_USERINFO_SIGNED = env_bool("OIDC_USERINFO_SIGNED", default=True)
# Endpoints one by one, for a provider without discovery (empty: read from discovery).
OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = env_str("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = env_str("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = env_str("OIDC_OP_JWKS_ENDPOINT", "")
OIDC_OP_END_SESSION_ENDPOINT = env_str("OIDC_OP_END_SESSION_ENDPOINT", "")
# Seconds the discovery document and the JWKS are kept (a failed signature check re-reads the JWKS).
OIDC_METADATA_SECONDS = env_int("OIDC_METADATA_SECONDS", 3600, minimum=0)
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT", 10, minimum=1)
# Seconds of clock difference tolerated on the tokens' `exp`, `iat` and `nbf`.
OIDC_LEEWAY_SECONDS = env_int("OIDC_LEEWAY_SECONDS", 30, minimum=0)
# Sign-ins started per client address (civic.ratelimits).
THROTTLE_OIDC_START = env_str("THROTTLE_OIDC_START", "30/hour")

# mozilla-django-oidc: 32 random characters of state and of nonce, kept in the session and used
# once; the ID token kept for the provider's logout (`id_token_hint`).
OIDC_STATE_SIZE = 32
OIDC_NONCE_SIZE = 32
OIDC_USE_NONCE = True
OIDC_USE_PKCE = env_bool("OIDC_USE_PKCE", default=False)
OIDC_STORE_ID_TOKEN = True
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc-callback"
OIDC_OP_LOGOUT_URL_METHOD = "civic.oidc.logout.provider_logout_url"

if _PRODUCTION and OIDC_ENABLED:
    _missing = [
        name
        for name in ("OIDC_ISSUER", "OIDC_RP_CLIENT_ID", "OIDC_RP_CLIENT_SECRET")
        if not globals()[name]
    ]
    if _missing:
        raise ImproperlyConfigured(f"OIDC_ENABLED needs {', '.join(_missing)}")

# --- Staff single sign-on (ProConnect or any OpenID Connect provider), docs/identity.md -----------
# A second provider, for staff only, through the same code (civic/oidc/): off unless configured.
# It never opens an account nor grants a role: an administrator authorises an existing staff
# account first, and the agent's first login binds the provider's `sub` to it.
STAFF_OIDC_ENABLED = env_bool("STAFF_OIDC_ENABLED", default=False)
STAFF_OIDC_PROVIDER_NAME = env_str("STAFF_OIDC_PROVIDER_NAME", "ProConnect")
# ProConnect: https://auth.agentconnect.gouv.fr/api/v2 (integration:
# https://fca.integ01.dev-agentconnect.fr/api/v2).
STAFF_OIDC_ISSUER = env_str("STAFF_OIDC_ISSUER", "").rstrip("/")
STAFF_OIDC_RP_CLIENT_ID = env_str("STAFF_OIDC_RP_CLIENT_ID", "")
STAFF_OIDC_RP_CLIENT_SECRET = env_str("STAFF_OIDC_RP_CLIENT_SECRET", "")
STAFF_OIDC_RP_SCOPES = env_str("STAFF_OIDC_RP_SCOPES", "openid email given_name usual_name")
# The level asked for and required in the ID token's `acr` ("" asks nothing).
STAFF_OIDC_ACR_VALUES = env_str("STAFF_OIDC_ACR_VALUES", "eidas1")
# The `acr` values, and the `amr` methods, by which the provider asserts a multi-factor login:
# only then is the toolkit's own second factor not asked at this login. Empty: always asked.
STAFF_OIDC_MFA_ACR = env_list("STAFF_OIDC_MFA_ACR", [])
STAFF_OIDC_MFA_AMR = env_list("STAFF_OIDC_MFA_AMR", [])
# The provider vouches for its agents' e-mail addresses (ProConnect does): the first login may then
# bind without an `email_verified` claim. Off: the claim must be true.
STAFF_OIDC_EMAILS_VERIFIED = env_bool("STAFF_OIDC_EMAILS_VERIFIED", default=False)
STAFF_OIDC_RP_SIGN_ALGOS = env_list("STAFF_OIDC_RP_SIGN_ALGOS", ["ES256", "RS256"])
STAFF_OIDC_USERINFO_SIGNED = env_bool("STAFF_OIDC_USERINFO_SIGNED", default=True)
STAFF_OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("STAFF_OIDC_OP_AUTHORIZATION_ENDPOINT", "")
STAFF_OIDC_OP_TOKEN_ENDPOINT = env_str("STAFF_OIDC_OP_TOKEN_ENDPOINT", "")
STAFF_OIDC_OP_USER_ENDPOINT = env_str("STAFF_OIDC_OP_USER_ENDPOINT", "")
STAFF_OIDC_OP_JWKS_ENDPOINT = env_str("STAFF_OIDC_OP_JWKS_ENDPOINT", "")
STAFF_OIDC_OP_END_SESSION_ENDPOINT = env_str("STAFF_OIDC_OP_END_SESSION_ENDPOINT", "")
STAFF_OIDC_AUTHENTICATION_CALLBACK_URL = "oidc-staff-callback"

if _PRODUCTION and STAFF_OIDC_ENABLED:
    _missing = [
        name
        for name in ("STAFF_OIDC_ISSUER", "STAFF_OIDC_RP_CLIENT_ID", "STAFF_OIDC_RP_CLIENT_SECRET")
        if not globals()[name]
    ]
    if _missing:
        raise ImproperlyConfigured(f"STAFF_OIDC_ENABLED needs {', '.join(_missing)}")
