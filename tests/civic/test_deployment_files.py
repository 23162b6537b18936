"""docker-compose.yml cannot be run here (no Docker engine): read it and hold it to the local run."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SETTINGS = (ROOT / "civic" / "settings.py").read_text()
DEMO = (ROOT / "tools" / "demo").read_text()


def test_compose_has_every_service_with_a_health_check():
    services = COMPOSE["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    for name in ("postgres", "redis", "web", "worker", "beat"):
        assert "healthcheck" in services[name], name


def test_compose_runs_the_same_processes_as_the_local_run():
    services = COMPOSE["services"]
    web = services["web"]["command"]
    assert web[:4] == ["granian", "--interface", "wsgi", "civic.wsgi:application"]
    assert "granian --interface wsgi civic.wsgi:application" in DEMO
    for option in ("--workers", "--blocking-threads", "--respawn-failed-workers", "--access-log"):
        assert option in web and option in DEMO, option
    assert services["worker"]["command"][:4] == ["celery", "-A", "civic", "worker"]
    assert "celery -A civic worker" in DEMO
    assert services["beat"]["command"][:4] == ["celery", "-A", "civic", "beat"]
    assert "celery -A civic beat" in DEMO


def test_every_variable_compose_sets_is_one_the_settings_read():
    variables = set(COMPOSE["x-app"]["environment"])
    read = set(re.findall(r'env_(?:str|bool|int|list|choice)\(\s*"([A-Z_]+)"', SETTINGS))
    assert variables - read == set()


def test_compose_waits_for_healthy_services_and_migrations():
    web = COMPOSE["services"]["web"]
    assert web["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert COMPOSE["x-app"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert COMPOSE["x-app"]["environment"]["CIVIC_PROFILE"] == "production"
