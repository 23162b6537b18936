import json
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
    with pytest.raises(ImproperlyConfigured):
        parse_database_url("mysql://x/y")
    with pytest.raises(ImproperlyConfigured):
        parse_database_url("postgres://host/")


@pytest.mark.parametrize("url", ["mysql://root@127.0.0.1/civic", "file:///var/civic.db"])
def test_a_url_of_another_database_is_refused_naming_database_url(url):
    with pytest.raises(
        ImproperlyConfigured, match=r"DATABASE_URL.*PostgreSQL is the only database"
    ):
        parse_database_url(url)


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
    "DATABASE_URL": "postgres://civic@127.0.0.1:5432/civic_deploy_check",
    "TRUSTED_PROXY_COUNT": "1",
    "AUDIT_CHAIN_KEY": "c" * 48,
    "AUDIT_SIGNING_KEY": "5" * 64,
    "AUDIT_HEADS_FILE": "/var/lib/civic-heads/heads.jsonl",
    "AUDITORS_EMAILS": "audit@ville.example.org",
}


def _settings(expression: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Evaluate `expression` on freshly loaded settings, in a process of its own (JSON out)."""
    unset = {"PYTEST_VERSION", "DATABASE_URL", "EMBEDDED_PG_PORT", "CELERY_BROKER_URL"}
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    code = f"import json; from django.conf import settings; print(json.dumps({expression}))"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_database_url_the_embedded_server_is_the_database():
    expression = "[settings.DATABASES['default'][k] for k in ('HOST', 'PORT', 'NAME', 'USER')]"
    default = _settings(expression)
    assert json.loads(default.stdout) == ["127.0.0.1", "54329", "civic", "postgres"], default.stderr
    moved = _settings(expression, EMBEDDED_PG_PORT="54400")
    assert json.loads(moved.stdout) == ["127.0.0.1", "54400", "civic", "postgres"], moved.stderr


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DATABASE_URL": "file:///var/civic.db"}, "DATABASE_URL"),
        ({"EMBEDDED_PG_PORT": "fifty"}, "EMBEDDED_PG_PORT"),
    ],
)
def test_a_database_that_is_not_postgresql_stops_the_start(env, named):
    result = _settings("settings.DATABASES['default']['NAME']", **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert named in result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("env", "refused"),
    [
        (
            {
                "CACHE_URL": "redis://127.0.0.1:6379/3",
                "CELERY_BROKER_URL": "redis://127.0.0.1:6379/3",
            },
            "redis://127.0.0.1:6379/3)",
        ),
        # A third test process moves the cache from 7 to 9: the broker's database.
        (
            {
                "CACHE_URL": "redis://127.0.0.1:6379/7",
                "CELERY_BROKER_URL": "redis://127.0.0.1:6379/9",
                "PYTEST_XDIST_WORKER": "gw2",
            },
            "test process gw2",
        ),
        (
            {
                "CACHE_URL": "redis://127.0.0.1:6379/7",
                "CELERY_BROKER_URL": "redis://127.0.0.1:6379/9",
                "PYTEST_XDIST_WORKER": "gw1",
            },
            None,
        ),
        (
            {
                "CACHE_URL": "redis://127.0.0.1:6379/3",
                "CELERY_BROKER_URL": "redis://127.0.0.1:6380/3",
            },
            None,
        ),
    ],
    ids=["same-database", "test-process-moved-onto-the-broker", "apart", "other-server"],
)
def test_a_cache_in_the_broker_s_redis_database_stops_the_start(env, refused):
    # This run's own test process number must not move the cache of the process started here.
    env = {"PYTEST_XDIST_WORKER": "", **env}
    result = _settings("settings.CACHES['default']['LOCATION']", CIVIC_PROFILE="test", **env)
    if refused is None:
        assert result.returncode == 0, result.stderr
        return
    last = result.stderr.strip().splitlines()[-1]
    assert "ImproperlyConfigured" in last and refused in last
    assert "CACHE_URL and CELERY_BROKER_URL name one Redis database" in last


def test_the_test_profile_queues_through_a_folder_its_worker_shares_outside_var():
    result = _settings(
        "[settings.CELERY_BROKER_URL, settings.CELERY_BROKER_TRANSPORT_OPTIONS['data_folder_in'],"
        " str(settings.VAR_DIR)]",
        CIVIC_PROFILE="test",
    )
    broker, folder, var = json.loads(result.stdout)
    assert broker == "filesystem://", result.stderr
    assert not Path(folder).is_relative_to(var)


@pytest.fixture(scope="module")
def production_checklist() -> subprocess.CompletedProcess[str]:
    """The whole deployment checklist on the production profile, run once for the module (a
    `manage.py check --deploy` is seconds of CPU: every app, URL and check imported)."""
    return _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)


def test_the_production_profile_passes_the_deployment_checklist_with_no_warning(
    production_checklist: subprocess.CompletedProcess[str],
) -> None:
    result = production_checklist
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


def test_w090_warns_behind_a_proxy_when_the_proxy_count_was_never_set(
    production_checklist: subprocess.CompletedProcess[str],
) -> None:
    """W090 is a security check (civic/apps.py): the checklist's security part is enough to see
    it or its absence, and costs half the whole (no URL configuration, no other check)."""
    unset = {k: v for k, v in PRODUCTION.items() if k != "TRUSTED_PROXY_COUNT"}
    warned = _manage("check", "--deploy", "--tag", "security", **unset)
    assert "civic.W090" in warned.stdout + warned.stderr
    # A decision, even 0, is no longer the default left unset. Count 1 is the production profile
    # itself, whose whole checklist the module has already run.
    zero = _manage(
        "check", "--deploy", "--tag", "security", **{**unset, "TRUSTED_PROXY_COUNT": "0"}
    )
    assert PRODUCTION["TRUSTED_PROXY_COUNT"] == "1"
    for count, quiet in (("1", production_checklist), ("0", zero)):
        assert quiet.returncode == 0, quiet.stderr + quiet.stdout
        assert "civic.W090" not in quiet.stdout + quiet.stderr, count


def test_the_old_proxy_and_webhook_variables_are_refused_by_name():
    for name, value in (("NUM_PROXIES", "1"), ("WEBHOOK_ALLOW_PRIVATE_DESTINATIONS", "true")):
        result = _settings("settings.TRUSTED_PROXY_COUNT", **{name: value})
        assert result.returncode != 0
        assert name in result.stderr.strip().splitlines()[-1]


def test_webhooks_are_https_only_and_public_only_by_default():
    for profile in ("development", "production"):
        env = PRODUCTION if profile == "production" else {"CIVIC_PROFILE": profile}
        result = _settings(
            "[settings.WEBHOOK_ALLOW_HTTP, settings.WEBHOOK_ALLOWED_PRIVATE_HOSTS,"
            " settings.TRUSTED_PROXY_COUNT >= 0, settings.API_JSON_MAX_DEPTH]",
            **env,
        )
        allow_http, private, _count, depth = json.loads(result.stdout)
        assert (allow_http, private) == (False, []), profile
        assert 2 <= depth <= 64
