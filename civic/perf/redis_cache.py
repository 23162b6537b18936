"""Django's Redis cache, without a new client object per call.

Django's `RedisCacheClient.get_client()` builds a `redis.Redis` around the connection pool on every
cache call, and that constructor copies redis-py's table of about 200 response callbacks: about
0.4 ms of CPU per call on this machine, more than the round trip it wraps (cProfile, process time,
a form signature's three requests: 2.7 constructions each). A `redis.Redis` is a thin, thread-safe
wrapper over its pool (the pool hands each command its own connection, and renews them after a
fork), so one per pool serves every call. Answers are unchanged: the same pools, serializer and
commands. Off: `CACHE_URL` backends are named in config/env.py (`django.core.cache.backends.redis.
RedisCache` is the plain one).
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusedRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            client = self._client(connection_pool=pool)  # type: ignore[attr-defined]
            self._clients[id(pool)] = client
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedRedisCacheClient
