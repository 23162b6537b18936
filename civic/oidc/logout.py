"""Ending the provider's session too (mozilla-django-oidc's OIDC_OP_LOGOUT_URL_METHOD)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from django.utils.crypto import get_random_string

from civic.oidc import provider
from civic.oidc.provider import RESIDENT, STAFF, ProviderUnavailable

SESSION_ID_TOKEN = "oidc_id_token"  # noqa: S105 (a session key's name, not a secret)
# Which provider opened the session: "resident" or "staff" (its end-session endpoint is asked).
SESSION_FLOW = "oidc_flow"


def provider_logout_url(request: HttpRequest) -> str:
    """The provider's end-session address with `id_token_hint` (the ID token of this sign-in), a
    random `state` and the home page to come back to; the home page alone when the session did
    not come from the provider or the provider has no end-session endpoint."""
    home = reverse("home")
    id_token = request.session.get(SESSION_ID_TOKEN)
    if not id_token:
        return home
    profile = STAFF if request.session.get(SESSION_FLOW) == "staff" else RESIDENT
    try:
        endpoint = provider.setting("OIDC_OP_END_SESSION_ENDPOINT", "", profile=profile)
    except ProviderUnavailable:
        return home
    if not endpoint:
        return home
    query = urlencode(
        {
            "id_token_hint": id_token,
            "state": get_random_string(32),
            "post_logout_redirect_uri": request.build_absolute_uri(home),
        }
    )
    return f"{endpoint}?{query}"
