"""Deploy checks of the OpenID Connect sign-in (`manage.py check --deploy`): civic.W070, W071."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from civic.ratelimits import parse_rate


def check_oidc_settings(app_configs: Any = None, **_kwargs: Any) -> list[checks.CheckMessage]:
    names = ["OIDC_ISSUER"] if settings.OIDC_ENABLED else []
    if settings.STAFF_OIDC_ENABLED:
        names.append("STAFF_OIDC_ISSUER")
    if not names:
        return []
    found: list[checks.CheckMessage] = []
    plain = [
        name
        for name in ("SITE_URL", *names)
        if not str(getattr(settings, name, "")).startswith("https://")
    ]
    if plain:
        found.append(
            checks.Warning(
                f"OpenID Connect sign-in with {' and '.join(plain)} not on https: the "
                "authorisation code, the tokens and the session cookie would cross the network "
                "in clear.",
                hint="Serve the site and use the provider over https (FranceConnect requires it).",
                id="civic.W070",
            )
        )
    try:
        parse_rate(settings.THROTTLE_OIDC_START)
    except (ValueError, KeyError, IndexError):
        found.append(
            checks.Error("THROTTLE_OIDC_START is not a rate such as 30/hour.", id="civic.W071")
        )
    return found
