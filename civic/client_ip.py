"""The client's address, read one way everywhere: rate limits (the API's throttles, allauth's login
and sign-up limits) and anything that records where a request came from.

`TRUSTED_PROXY_COUNT` says how many reverse proxies stand in front of the web server, each of them
appending the address of its own peer to `X-Forwarded-For`:

- 0 (the default): the web server faces the clients; `REMOTE_ADDR` is the client and
  `X-Forwarded-For` is ignored (a client can write anything there);
- n: the n-th address from the right of `X-Forwarded-For` is the client, the one the outermost
  trusted proxy saw. Whatever a client wrote itself stands further left and is never read, so a
  forged header cannot spread a burst over invented clients.

A header with fewer addresses than proxies (a request that did not cross them all) yields its
leftmost address; a value that is not an IP address yields `REMOTE_ADDR`.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings


def client_ip(request: Any) -> str:
    """The client's address for `request` (a Django or DRF request, or a WSGI environ's META)."""
    meta = request if isinstance(request, dict) else request.META
    remote = str(meta.get("REMOTE_ADDR") or "")
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if count <= 0:
        return remote
    forwarded = [a.strip() for a in str(meta.get("HTTP_X_FORWARDED_FOR") or "").split(",")]
    forwarded = [a for a in forwarded if a]
    if not forwarded:
        return remote
    candidate = forwarded[-min(count, len(forwarded))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def client_ip_or_none(request: Any) -> str | None:
    """`client_ip`, or None when the request carries no valid address (kept with a signature)."""
    address = client_ip(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def check_trusted_proxy_count(app_configs: Any = None, **_kwargs: Any) -> list[Any]:
    """civic.W090 (deploy): the settings say a proxy stands in front (it forwards the scheme, the
    host or the port) but TRUSTED_PROXY_COUNT was never set, so every client would share the
    proxy's address and one visitor's burst would throttle the whole city."""
    from django.core import checks

    proxied = bool(
        getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
        or getattr(settings, "USE_X_FORWARDED_HOST", False)
        or getattr(settings, "USE_X_FORWARDED_PORT", False)
    )
    if not proxied or settings.TRUSTED_PROXY_COUNT or settings.TRUSTED_PROXY_COUNT_EXPLICIT:
        return []
    return [
        checks.Warning(
            "A reverse proxy forwards the scheme, host or port, but TRUSTED_PROXY_COUNT is unset: "
            "rate limits and records would see the proxy's address for every client.",
            hint=(
                "Set TRUSTED_PROXY_COUNT to the number of proxies that append to X-Forwarded-For "
                "(1 behind one TLS proxy), or to 0 explicitly if none does."
            ),
            id="civic.W090",
        )
    ]
