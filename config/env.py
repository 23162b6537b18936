"""Strict parsing of configuration from the environment.

A bad value stops the process at start with a message naming the variable: a city must never run on
a silently substituted default (healthchecks does the same in its settings).
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise ImproperlyConfigured(f"{name} must be set")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no, on/off)"
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below the minimum {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    items = [item.strip() for item in raw.split(",")]
    if any(not item for item in items):
        raise ImproperlyConfigured(f"{name}={raw!r} has an empty item")
    return items


def env_choice(name: str, default: str, choices: set[str]) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} must be one of {sorted(choices)}")
    return value


def parse_database_url(url: str, *, conn_max_age: int = 0) -> dict[str, Any]:
    """`postgres://user:pass@host:port/name?opt=v`: PostgreSQL is the only database."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(
            f"DATABASE_URL scheme {parts.scheme!r} is not supported: PostgreSQL is the only "
            "database (postgres://user:pass@host:port/name; unset, tools/test and tools/demo "
            "start an embedded server)"
        )
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ImproperlyConfigured(f"DATABASE_URL={url!r} names no database")
    return {
        "ENGINE": "civic.perf.postgresql",
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": conn_max_age,
        "CONN_HEALTH_CHECKS": conn_max_age > 0,
        "OPTIONS": dict(parse_qsl(parts.query)),
    }


def redis_database_offset(url: str, offset: int) -> str:
    """`redis://host:port/13` moved `offset` databases on (Redis has 16: 0 to 15)."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    if base + offset > 15:
        raise ImproperlyConfigured(
            f"CACHE_URL={url!r}: database {base} + {offset} parallel test processes exceeds 15"
        )
    return parts._replace(path=f"/{base + offset}").geturl()


def refuse_shared_redis(cache_location: str, broker_url: str, profile: str) -> None:
    """Stop the start when the cache and the Celery broker are one Redis database: a
    `cache.clear()` (each test runs one; an operator may) would drop every queued task, and a full
    cache's evictions would take tasks with them. Hosts compare as written. Under pytest-xdist a
    test process N has moved its cache N databases on (settings), which can land on the broker's."""

    def database(url: str) -> tuple[str, int, int] | None:
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss"):
            return None
        return (parts.hostname or "localhost", parts.port or 6379, int(parts.path.strip("/") or 0))

    cache = database(cache_location)
    if cache is None or cache != database(broker_url):
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "") if profile == "test" else ""
    raise ImproperlyConfigured(
        f"CACHE_URL and CELERY_BROKER_URL name one Redis database ({broker_url}"
        f"{f', test process {worker}' if worker else ''}): clearing the cache would drop the"
        " queued tasks. Give each its own database"
        f"{' (test process N uses the database of CACHE_URL + N)' if worker else ''}."
    )


def session_engine(cache_backend: str, profile: str) -> str:
    """Sessions in the shared cache, written through to the database (Django's `cached_db`): a
    signed-in request reads its session without a query; a logout or a password change deletes it
    from both, so the old cookie is refused by every process; a session the cache dropped is read
    back from the database. A per-process cache (locmem) is shared by nobody: a logout in one
    process would leave the session alive in another's memory, so outside the one-process tests
    sessions then stay in the database alone."""
    local = cache_backend.endswith(".LocMemCache") and profile != "test"
    if local or cache_backend.endswith(".DummyCache"):
        return "django.contrib.sessions.backends.db"
    return "django.contrib.sessions.backends.cached_db"


def parse_cache_url(url: str) -> dict[str, Any]:
    """`redis://host:port/db`, `locmem://`, `file:///path`, or `dummy://`."""
    parts = urlsplit(url)
    if parts.scheme in {"redis", "rediss"}:
        # Django's backend, without a new client object per call (civic/perf/redis_cache.py).
        return {"BACKEND": "civic.perf.redis_cache.RedisCache", "LOCATION": url}
    if parts.scheme == "locmem":
        return {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": parts.netloc,
        }
    if parts.scheme == "file":
        if not parts.path:
            raise ImproperlyConfigured(f"CACHE_URL={url!r} names no folder")
        return {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": parts.path,
        }
    if parts.scheme == "dummy":
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    raise ImproperlyConfigured(f"CACHE_URL scheme {parts.scheme!r} is not supported")
