"""OpenID Connect sign-in and verification of residents (FranceConnect or any provider).

mozilla-django-oidc makes the authorisation request (random state and nonce kept in the session,
used once), exchanges the code and ends the provider's session; this package adds what a
FranceConnect relying party must check on top: both JWTs (ID token and userinfo) verified against
the provider's JWKS, re-read once when a check fails; issuer, audience, expiry, nonce and `acr`;
and a page for every way a sign-in can fail. Matching the identity to the register is a service
(civic/services/oidc.py). docs/identity.md explains the whole path."""
