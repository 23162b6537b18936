"""Rate limits shared by every web process: sliding-window counters in the cache, one round trip.

DRF's stock throttles keep a list of timestamps per client in the cache and rewrite it on every
request (a read and a write, two round trips, and a race between processes that lets bursts
through). These keep, per client and scope, one integer counter per window, incremented atomically
(Redis `INCR`), and estimate the sliding window from the current and the previous counter:

    used = current + previous * (1 - elapsed share of the current window)

The increment, its expiry and the read of the previous window run as one server-side script, so a
rate limit costs one round trip and holds across any number of web servers. A refused request is counted too:
hammering does not open the door sooner. With a cache that is not Redis (the embedded
defaults, the tests), the same counters use the cache API (`add` + `incr`), atomic within a process.
"""

from __future__ import annotations

import os
import time
from typing import Any

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from rest_framework import throttling

from civic.client_ip import client_ip

_REDIS_BACKENDS = (
    "django.core.cache.backends.redis.RedisCache",
    "civic.perf.redis_cache.RedisCache",
)
_client: tuple[int, Any, Any] | None = None

# KEYS: the current and the previous window's counters; ARGV: the counter's lifetime in seconds.
_HIT_SCRIPT = """
local current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {current, tonumber(redis.call('GET', KEYS[2]) or '0')}
"""


def _redis_hit() -> Any | None:
    """This process's counting script on the cache's Redis, or None when the cache is not Redis."""
    global _client
    config = settings.CACHES["default"]
    if config["BACKEND"] not in _REDIS_BACKENDS:
        return None
    if _client is None or _client[0] != os.getpid():  # a forked child opens its own connections
        import redis

        location = config["LOCATION"]
        url = location[0] if isinstance(location, list | tuple) else location
        client = redis.Redis.from_url(url)
        _client = (os.getpid(), client, client.register_script(_HIT_SCRIPT))
    return _client[2]


def window_hit(key: str, window: int, *, now: float | None = None) -> tuple[int, int]:
    """Count one request under `key`; return the counters of the current and the previous window
    (this request included in the current one)."""
    now = time.time() if now is None else now
    bucket = int(now // window)
    hit = _redis_hit()
    if hit is not None:
        shared = caches[DEFAULT_CACHE_ALIAS]  # once: each use of the `cache` proxy looks it up
        current_key = shared.make_key(f"rl:{key}:{bucket}")
        previous_key = shared.make_key(f"rl:{key}:{bucket - 1}")
        current, previous = hit(keys=[current_key, previous_key], args=[2 * window + 1])
    else:
        # The cache API prefixes keys itself: use the raw names.
        raw_current, raw_previous = f"rl:{key}:{bucket}", f"rl:{key}:{bucket - 1}"
        cache.add(raw_current, 0, timeout=2 * window + 1)
        try:
            current = cache.incr(raw_current)
        except ValueError:  # expired between add and incr
            cache.set(raw_current, 1, timeout=2 * window + 1)
            current = 1
        previous = int(cache.get(raw_previous) or 0)
    return int(current), previous


def sliding_count(current: int, previous: int, elapsed: float) -> float:
    """Requests in the sliding window, `elapsed` being the share of the current window gone."""
    return current + previous * (1.0 - elapsed)


def seconds_until_allowed(
    current: int, previous: int, elapsed: float, window: int, limit: int
) -> float:
    """How long until `sliding_count` drops back to `limit` with no new request."""
    if current > limit:  # not before the next window, once this one's weight has decayed enough
        return (1.0 - elapsed) * window + (1.0 - limit / current) * window
    if previous == 0:
        return 0.0
    target = 1.0 - (limit - current) / previous  # the elapsed share where the count fits again
    return max(0.0, (target - elapsed) * window)


class SlidingWindowThrottle(throttling.SimpleRateThrottle):
    """SimpleRateThrottle with `window_hit` in place of the timestamp list (keys and rates
    unchanged). DRF's classes come first in the subclasses below, so their own `allow_request`
    (the scoped one resolves its rate there) runs first and reaches this one through super()."""

    num_requests: int
    duration: int

    def get_ident(self, request: Any) -> str:
        # One reading of the client's address for every limit (TRUSTED_PROXY_COUNT), not DRF's.
        return client_ip(request)

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = time.time()
        current, previous = window_hit(key, self.duration, now=now)
        elapsed = (now % self.duration) / self.duration
        if sliding_count(current, previous, elapsed) <= self.num_requests:
            return True
        self._wait = seconds_until_allowed(
            current, previous, elapsed, self.duration, self.num_requests
        )
        return False

    def wait(self) -> float | None:
        return max(1.0, getattr(self, "_wait", float(self.duration)))


class AnonRateThrottle(throttling.AnonRateThrottle, SlidingWindowThrottle):
    pass


class UserRateThrottle(throttling.UserRateThrottle, SlidingWindowThrottle):
    pass


class ScopedRateThrottle(throttling.ScopedRateThrottle, SlidingWindowThrottle):
    pass
