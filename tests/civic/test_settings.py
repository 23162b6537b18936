import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, parse_cache_url, parse_database_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("raw", ["maybe", "2", "tru"])
def test_a_bad_boolean_stops_the_start(monkeypatch, raw):
    monkeypatch.setenv("DEBUG", raw)
    with pytest.raises(ImproperlyConfigured, match="DEBUG"):
        env_bool("DEBUG", default=False)


def test_integers_and_lists_are_parsed_strictly(monkeypatch):
    monkeypatch.setenv("N", "12x")
    with pytest.raises(ImproperlyConfigured):
        env_int("N", 1)
    monkeypatch.setenv("N", "0")
    with pytest.raises(ImproperlyConfigured, match="minimum"):
        env_int("N", 1, minimum=1)
    monkeypatch.setenv("HOSTS", "a.example.org,,b")
    with pytest.raises(ImproperlyConfigured, match="empty"):
        env_list("HOSTS", [])


def test_database_urls_are_understood_or_refused():
    pg = parse_database_url(
        "postgres://civic:s%40cret@db:5433/civic?sslmode=require", conn_max_age=60
    )
    assert (pg["ENGINE"], pg["NAME"], pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"]) == (
        "civic.perf.postgresql",
        "civic",
        "civic",
        "s@cret",
        "db",
        "5433",
    )
    assert pg["OPTIONS"] == {"sslmode": "require"}
    assert parse_database_url("sqlite:////tmp/x.db")["NAME"] == "/tmp/x.db"
    with pytest.raises(ImproperlyConfigured):
        parse_database_url("mysql://x/y")
    with pytest.raises(ImproperlyConfigured):
        parse_database_url("postgres://host/")


def test_cache_urls_are_understood_or_refused():
    assert parse_cache_url("redis://127.0.0.1:6379/1")["BACKEND"].endswith("RedisCache")
    with pytest.raises(ImproperlyConfigured):
        parse_cache_url("memcached://x")


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # A test run may allow async-unsafe calls (the browser tests do); a deployment never does.
    unset = {"PYTEST_VERSION", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "CIVIC_PROFILE": "production",
    "SECRET_KEY": "x" * 20 + "-production-secret-key-for-the-deploy-check-0123456789",
    "IDENTITY_HASH_KEY": "k" * 40,
    "ALLOWED_HOSTS": "participation.example.org",
    "DATABASE_URL": "sqlite:////tmp/civic-deploy-check.sqlite3",
}


def test_the_production_profile_passes_the_deployment_checklist_with_no_warning():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues (0 silenced)" in result.stdout


@pytest.mark.parametrize(
    "broken",
    [
        {"SECRET_KEY": "short"},
        {"ALLOWED_HOSTS": ""},
        {"DEBUG": "1"},
        {"DEBUG": "perhaps"},
        {"IDENTITY_HASH_KEY": "short"},
    ],
)
def test_the_production_profile_refuses_to_start_on_a_bad_setting(broken):
    result = _manage("check", **{**PRODUCTION, **broken})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
