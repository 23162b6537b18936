"""Deploy checks of the account settings (`manage.py check --deploy`): civic.W030 to civic.W032."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from civic.ratelimits import parse_rate

# A token that outlives a season of votes is a standing key to the account.
MAX_TOKEN_TTL_DAYS = 90


def check_account_settings(app_configs: Any = None, **_kwargs: Any) -> list[checks.CheckMessage]:
    found: list[checks.CheckMessage] = []
    if settings.API_TOKEN_TTL_DAYS > MAX_TOKEN_TTL_DAYS:
        found.append(
            checks.Warning(
                f"API_TOKEN_TTL_DAYS is {settings.API_TOKEN_TTL_DAYS}: a stolen API token stays "
                f"usable that long.",
                hint=f"Keep it at {MAX_TOKEN_TTL_DAYS} days or less (30 by default).",
                id="civic.W030",
            )
        )
    for name in ("THROTTLE_VERIFICATION", "THROTTLE_VERIFICATION_ADDRESS"):
        try:
            parse_rate(getattr(settings, name))
        except (ValueError, KeyError, IndexError):
            found.append(
                checks.Error(f"{name} is not a rate such as 10/hour.", id="civic.W031", obj=name)
            )
    if "/key" not in settings.ACCOUNT_RATE_LIMITS.get("login_failed", ""):
        found.append(
            checks.Warning(
                "ACCOUNT_RATE_LIMITS['login_failed'] has no per-account part: neither the web "
                "login nor the API login locks an account under a password guessing attack.",
                hint='Keep a "/key" rate, e.g. "10/m/ip,5/5m/key".',
                id="civic.W032",
            )
        )
    return found
