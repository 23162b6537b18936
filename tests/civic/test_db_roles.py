"""The application's own database role (`manage.py db_roles`): it may append to the audit log and
cast ballots, never rewrite, truncate or unguard them. Each attack connects as that role."""

import os
from collections.abc import Iterator

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from civic.audit import audit_record
from civic.audit_checks import _role_warnings

pytestmark = pytest.mark.django_db(transaction=True)
ROLE = f"civic_app_test_{os.getpid()}"


@pytest.fixture
def app_role() -> Iterator[psycopg.Connection]:
    audit_record(actor=None, verb="thing.note", target=("thing", 1))
    call_command("db_roles", "--create", "--role", ROLE)
    settings = connection.settings_dict
    conn = psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        dbname=settings["NAME"],
        user=ROLE,
        autocommit=True,
    )
    try:
        yield conn
    finally:
        conn.close()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP OWNED BY "{ROLE}"')  # its grants, in this database
            cursor.execute(f'DROP ROLE "{ROLE}"')


def _refused(conn: psycopg.Connection, query: str) -> bool:
    try:
        conn.execute(query)
    except psycopg.errors.InsufficientPrivilege:
        return True
    return False


@pytest.mark.parametrize(
    "attack",
    [
        "UPDATE civic_auditentry SET verb = 'forged'",
        "DELETE FROM civic_auditentry",
        "TRUNCATE civic_auditentry",
        "ALTER TABLE civic_auditentry DISABLE TRIGGER ALL",
        "DROP TRIGGER civic_auditentry_append_only ON civic_auditentry",
        "SET session_replication_role = replica",
        "UPDATE referendums_ballot SET choices = '{}'",
        "TRUNCATE referendums_ballot",
        "UPDATE referendums_receipthash SET digest = 'x'",
        "TRUNCATE referendums_receipthash",
        "TRUNCATE referendums_participation",
        "DELETE FROM django_migrations",
        "CREATE TABLE civic_sneaky (id int)",
    ],
)
def test_the_app_role_cannot_rewrite_the_record(app_role, attack):
    assert _refused(app_role, attack), attack


def test_the_app_role_can_do_what_the_application_does(app_role):
    assert app_role.execute("SELECT count(*) FROM civic_auditentry").fetchone() == (1,)
    app_role.execute(
        "INSERT INTO civic_auditentry (id, at, actor_label, verb, target_type, target_id, "
        "prev_hash, hash, keyed) VALUES (999, now(), 'x', 'x', 'x', '1', 'x', 'y', true)"
    )
    app_role.execute("UPDATE referendums_ballot SET district_code = NULL WHERE false")
    app_role.execute("DELETE FROM referendums_ballot WHERE false")
    app_role.execute("UPDATE civic_user SET last_login = now() WHERE false")
    app_role.execute("SELECT nextval(pg_get_serial_sequence('civic_user', 'id'))")


def test_db_roles_refuses_a_superuser_and_is_idempotent(capsys):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="superuser"):
        call_command("db_roles", "--role", connection.settings_dict["USER"] or "postgres")
    try:
        call_command("db_roles", "--create", "--role", ROLE)
        call_command("db_roles", "--role", ROLE)  # after a migration: grants set afresh
        assert "civic_auditentry: SELECT, INSERT" in capsys.readouterr().out
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP OWNED BY "{ROLE}"')
            cursor.execute(f'DROP ROLE "{ROLE}"')


def test_the_deploy_check_warns_about_a_superuser_and_not_about_the_app_role(app_role):
    assert {m.id for m in _role_warnings()} == {"civic.W053"}  # the tests' own connection
    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{ROLE}"')
        try:
            assert _role_warnings() == []
        finally:
            cursor.execute("RESET ROLE")


def test_the_deploy_check_warns_about_the_owner_of_the_audit_log():
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{ROLE}" NOLOGIN')
        cursor.execute(f'ALTER TABLE civic_auditentry OWNER TO "{ROLE}"')
        cursor.execute(f'SET ROLE "{ROLE}"')
        try:
            assert {m.id for m in _role_warnings()} == {"civic.W054"}
        finally:
            cursor.execute("RESET ROLE")
            cursor.execute("ALTER TABLE civic_auditentry OWNER TO CURRENT_USER")
            cursor.execute(f'DROP ROLE "{ROLE}"')


def test_compose_runs_the_application_as_its_role_and_migrates_as_the_owner():
    from pathlib import Path

    import yaml

    compose = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text()
    )
    services = compose["services"]
    for name in ("web", "worker", "beat"):
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgres://civic_app:")
    migrate = services["migrate"]
    assert migrate["environment"]["DATABASE_URL"].startswith("postgres://civic:")
    assert "db_roles --create --role civic_app" in " ".join(migrate["command"])
    assert "heads:/app/heads:ro" in services["web"]["volumes"]
    assert "volumes" not in services["postgres"] or not any(
        "heads" in v for v in services["postgres"]["volumes"]
    )
