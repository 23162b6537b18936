"""docker-compose.yml cannot be run here (no Docker engine): read it and hold it to the local run.
And the web process as granian loads it (`config.wsgi`)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
# config/settings.py and the modules it takes its settings from
SETTINGS = "".join(
    (ROOT / "config" / name).read_text()
    for name in ("settings.py", "trust.py", "oidc.py", "city.py")
)
DEMO = (ROOT / "tools" / "demo").read_text()


def test_compose_has_every_service_with_a_health_check():
    services = COMPOSE["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    for name in ("postgres", "redis", "web", "worker", "beat"):
        assert "healthcheck" in services[name], name


def test_compose_runs_the_same_processes_as_the_local_run():
    services = COMPOSE["services"]
    web = services["web"]["command"]
    assert web[:4] == ["granian", "--interface", "wsgi", "config.wsgi:application"]
    assert "granian --interface wsgi config.wsgi:application" in DEMO
    for option in ("--workers", "--blocking-threads", "--respawn-failed-workers", "--access-log"):
        assert option in web and option in DEMO, option
    assert services["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert "celery -A config worker" in DEMO
    assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]
    assert "celery -A config beat" in DEMO


def test_every_variable_compose_sets_is_one_the_settings_read():
    variables = set(COMPOSE["x-app"]["environment"])
    read = set(re.findall(r'env_(?:str|bool|int|list|choice)\(\s*"([A-Z_]+)"', SETTINGS))
    assert variables - read == set()


def test_compose_waits_for_healthy_services_and_migrations():
    web = COMPOSE["services"]["web"]
    assert web["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert COMPOSE["x-app"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert COMPOSE["x-app"]["environment"]["CIVIC_PROFILE"] == "production"


def test_a_web_process_freezes_what_importing_the_application_built():
    # In a process of its own: the freeze is process-wide. What the import built stays out of the
    # collector's walks (bench/gc_pauses.py), and only that: a request's objects are collected.
    code = (
        "import gc, config.wsgi; frozen = gc.get_freeze_count(); "
        "junk = [[i] for i in range(1000)]; gc.collect(); "
        "print(frozen, len(gc.get_objects()), gc.get_freeze_count())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    frozen, tracked, frozen_after = map(int, out.stdout.split())
    assert frozen > 50_000  # Django, the apps and their settings: about 110,000 objects
    assert tracked < frozen / 10 and frozen_after == frozen  # later objects are the collector's


def test_every_task_is_registered_in_a_fresh_web_process() -> None:
    """The services enqueue tasks by name (`current_app.tasks[...]`): a task module the web
    process never imported makes that a NotRegistered error, i.e. a 500 for the staff member who
    closed an initiative. The worker discovers them all; a web process must find them too."""
    probe = (
        "import config.wsgi, celery, pathlib, ast;"
        "names = set(celery.current_app.tasks);"
        "missing = [f'{p.parent.name}.tasks.{n.name}' for p in pathlib.Path('.').glob('*/tasks.py')"
        " for n in ast.parse(p.read_text()).body"
        " if isinstance(n, ast.FunctionDef) and n.decorator_list"
        " and f'{p.parent.name}.tasks.{n.name}' not in names];"
        "print(missing)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_the_compose_nginx_reads_the_template_filled_for_the_compose_network() -> None:
    """deploy/nginx/compose.conf is deploy/nginx/civic.conf.template with its placeholders filled:
    a change to the template (what is cached, what bypasses the cache) reaches compose too."""
    template = (ROOT / "deploy" / "nginx" / "civic.conf.template").read_text()
    filled = (
        template.replace("@@UPSTREAMS@@", "server web:8000;")
        .replace("@@LISTEN@@", "80")
        .replace("@@CACHE_DIR@@", "/var/cache/nginx/civic")
        .replace("@@STATIC_ROOT@@", "/srv/static")
    )
    assert (ROOT / "deploy" / "nginx" / "compose.conf").read_text() == filled
    assert "@@" not in filled
    nginx = COMPOSE["services"]["nginx"]
    assert "./deploy/nginx/compose.conf:/etc/nginx/conf.d/default.conf:ro" in nginx["volumes"]
    assert nginx["depends_on"]["web"]["condition"] == "service_healthy"
    assert COMPOSE["services"]["web"]["command"][6:8] == ["--port", "8000"]  # the upstream


def test_the_nginx_template_never_caches_a_signed_in_request() -> None:
    """The lines that keep one resident's page from another: the cache is bypassed and not filled
    when a session (or a pending message) cookie is present, and keyed on scheme, host and URI."""
    template = (ROOT / "deploy" / "nginx" / "civic.conf.template").read_text()
    for line in (
        "proxy_cache_bypass $civic_signed_in;",
        "proxy_no_cache $civic_signed_in;",
        'proxy_cache_key "$scheme$host$request_uri";',
        "proxy_cache_use_stale updating",
        "proxy_cache_lock on;",
        "add_header X-Cache-Status $upstream_cache_status always;",
    ):
        assert line in template, line
    assert "proxy_cache_valid" not in template.replace("No proxy_cache_valid", "")
    assert "proxy_ignore_headers" not in template  # Cache-Control and Set-Cookie are honoured


def test_logs_are_bounded_and_the_access_log_names_no_client_address() -> None:
    """Retention covers logs too (docs/legal.md): Docker keeps every service's output within a
    bounded size, and the web's access log (compose and the local run alike) has no address."""
    for name, service in COMPOSE["services"].items():
        logging = service.get("logging")  # the services built from x-app take it by the merge
        assert logging is not None, name
        assert logging["options"]["max-size"] and int(logging["options"]["max-file"]) >= 1, name
    web = COMPOSE["services"]["web"]["command"]
    fmt = web[web.index("--access-log-fmt") + 1]
    assert "%(addr)s" not in fmt and "%(path)s" in fmt and "%(status)d" in fmt
    assert f"--access-log-fmt '{fmt}'" in DEMO
