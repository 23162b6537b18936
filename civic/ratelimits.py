"""Rate limits that a service applies itself, whatever the path (page, API) that calls it.

Each limit is a sliding-window counter in the shared cache (civic.api.throttling.window_hit: one
Redis round trip, one budget for every web process). DRF's throttles guard one API view; a budget
that a page and an API view must share is counted here, in the service they both call."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from civic.api.throttling import seconds_until_allowed, sliding_count, window_hit
from civic.client_ip import client_ip
from civic.errors import DomainError

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class RateLimited(DomainError):
    status = 429
    default_code = "throttled"

    def __init__(self, detail: Any, *, retry_after: float) -> None:
        super().__init__(detail)
        self.retry_after = max(1, int(retry_after + 0.999))


def parse_rate(rate: str) -> tuple[int, int]:
    """`"10/hour"` -> (10, 3600): DRF's notation, the period named by its first letter."""
    count, _sep, period = rate.partition("/")
    return int(count), _PERIODS[period.strip()[0]]


def client_address(request: Any) -> str:
    """The client's address as every rate limit sees it (the reverse proxies counted by
    TRUSTED_PROXY_COUNT are skipped, a forged X-Forwarded-For is not believed)."""
    return client_ip(request)


def _spend(key: str, rate: str) -> float | None:
    """Count one attempt under `key`; the seconds to wait when over `rate`, else None."""
    limit, window = parse_rate(rate)
    now = time.time()
    current, previous = window_hit(key, window, now=now)
    elapsed = (now % window) / window
    if sliding_count(current, previous, elapsed) <= limit:
        return None
    return seconds_until_allowed(current, previous, elapsed, window, limit)


def verification_attempt(*, user_id: int, address: str) -> None:
    """One identity-match attempt by account `user_id` from `address`: refused once either budget
    is spent. Every attempt counts, the right answer included, so probing cannot pause on a hit."""
    waits = [
        _spend(f"verification:user:{user_id}", settings.THROTTLE_VERIFICATION),
        _spend(f"verification:addr:{address}", settings.THROTTLE_VERIFICATION_ADDRESS),
    ]
    over = [w for w in waits if w is not None]
    if over:
        raise RateLimited(
            _("Trop de tentatives de vérification. Réessayez plus tard."),
            retry_after=max(over),
        )


def oidc_sign_in_start(*, address: str) -> None:
    """One sign-in sent to the identity provider from `address` (each start writes a state in a
    session and costs the provider a request): refused once THROTTLE_OIDC_START is spent."""
    wait = _spend(f"oidc:start:{address}", settings.THROTTLE_OIDC_START)
    if wait is not None:
        raise RateLimited(
            _("Trop de tentatives de connexion. Réessayez plus tard."), retry_after=wait
        )
