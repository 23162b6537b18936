"""Test databases: one migrated template, cloned for each pytest-xdist worker.

Migrating from scratch takes longer than most test files; PostgreSQL copies a database in a fraction
of that (`CREATE DATABASE ... TEMPLATE`, what Django's own `_clone_test_db` does). The first process
to take the advisory lock builds `test_<name>_template` (or finds it built: the content hash of every
migration is the comment on the database, so it is reused from one run to the next until a
migration changes); every process, the first included, then clones it into its own database
(`test_<name>_gw0`, `test_<name>_gw1`, ... under xdist; `test_<name>` alone).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import django
import psycopg
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from psycopg import sql

LOCK_KEY = "civic test template"
# The rows the migrations seed (shipped instruments and ladders, rejection reasons, roles...) are
# copied into this schema of the template, so the flush after a transactional test can put them
# back (tests/conftest.py): Django's flush empties every table, and a test that runs after a
# transactional one on the same worker would otherwise find a city without its shipped instruments.
SEED_SCHEMA = "seed"


def migrations_digest() -> str:
    """What the template's schema depends on: every installed app's migrations and Django itself."""
    digest = hashlib.sha256(f"{django.get_version()} {SEED_SCHEMA}-v1".encode())
    for config in sorted(apps.get_app_configs(), key=lambda c: c.label):
        for path in sorted((Path(config.path) / "migrations").glob("*.py")):
            digest.update(f"{config.label}/{path.name}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


@contextmanager
def server(template: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection to the server's maintenance database, holding the lock on the template.

    The lock is this template's alone: on a server shared by several checkouts (CI beside
    developers), one building its template (minutes of migrations) does not hold up another's
    clones."""
    params = connection.settings_dict
    with psycopg.connect(
        dbname="postgres",
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        autocommit=True,
        **params["OPTIONS"],
    ) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", [f"{LOCK_KEY} {template}"])
        yield conn


def template_digest(conn: psycopg.Connection[Any], template: str) -> str | None:
    row = conn.execute(
        "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database "
        "WHERE datname = %s",
        [template],
    ).fetchone()
    return None if row is None else str(row[0])


def point_at(name: str) -> None:
    """Point Django's connection at database `name` (what Django's create_test_db does)."""
    connection.close()
    settings.DATABASES[connection.alias]["NAME"] = name
    connection.settings_dict["NAME"] = name


def build_template(conn: psycopg.Connection[Any], template: str, digest: str) -> None:
    """Create and migrate the template; its comment, written last, says it is complete."""
    conn.execute(
        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(template))
    )
    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(template)))
    point_at(template)
    call_command("migrate", verbosity=0, interactive=False, run_syncdb=True)
    keep_seeded_rows()
    connection.close()
    conn.execute(
        sql.SQL("COMMENT ON DATABASE {} IS {}").format(
            sql.Identifier(template), sql.Literal(digest)
        )
    )


def keep_seeded_rows() -> None:
    """Copy every table the migrations left non-empty into the seed schema."""
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(SEED_SCHEMA)).as_string())
        for table in connection.introspection.table_names(cursor):
            cursor.execute(
                sql.SQL("SELECT EXISTS (SELECT 1 FROM {})")
                .format(sql.Identifier(table))
                .as_string()
            )
            if cursor.fetchone()[0]:
                cursor.execute(
                    sql.SQL("CREATE TABLE {}.{} AS SELECT * FROM {}")
                    .format(
                        sql.Identifier(SEED_SCHEMA), sql.Identifier(table), sql.Identifier(table)
                    )
                    .as_string()
                )


def put_back(
    schema: str, *, emptied: Iterable[str], refilled: Iterable[str]
) -> list[sql.Composable]:
    """The statements that empty each table of `emptied` and fill each of `refilled` again from its
    copy in `schema`, in one transaction: the flush after a transactional test (tests/conftest.py,
    from the seed schema) and the shared world put back before a browser test
    (tests/e2e/world_snapshot.py, from the world's schema).

    `session_replication_role = replica`, for that transaction only, silences the foreign keys'
    checks (the tables are emptied and filled in any order) and the triggers that refuse deleting
    audit and ballot rows; it takes the superuser that owns the test database, and production keeps
    the triggers (the application's role may not change that setting). DELETE rather than TRUNCATE:
    between tests the tables hold a few rows, and a TRUNCATE gives each table a new file to create,
    sync and unlink at commit."""
    statements: list[sql.Composable] = [sql.SQL("SET LOCAL session_replication_role = replica")]
    statements += [
        sql.SQL("DELETE FROM {}").format(sql.Identifier("public", table)) for table in emptied
    ]
    statements += [
        sql.SQL("INSERT INTO {} SELECT * FROM {}").format(
            sql.Identifier("public", table), sql.Identifier(schema, table)
        )
        for table in refilled
    ]
    return statements


def seeded_tables(cursor: Any) -> frozenset[str]:
    cursor.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [SEED_SCHEMA]
    )
    return frozenset(row[0] for row in cursor.fetchall())


def clone(conn: psycopg.Connection[Any], template: str, target: str) -> None:
    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target)))
    conn.execute(
        sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(target), sql.Identifier(template)
        )
    )
    # A test database is thrown away: no commit waits for its WAL to reach the disk (what the
    # embedded server does for all its databases, tools/embedded_pg.py). Locks, isolation and
    # visibility are unchanged; only a crash of the machine could lose the last commits. The
    # transactional tests (browser, live server, concurrency) commit hundreds of times each.
    conn.execute(
        sql.SQL("ALTER DATABASE {} SET synchronous_commit = off").format(sql.Identifier(target))
    )


def drop(target: str, template: str) -> None:
    connection.close()
    with server(template) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target))
        )


def template_name(original: str) -> str:
    return f"test_{original}_template"


def set_up() -> tuple[str, str]:
    """Give this process its own migrated test database; returns (its name, the original name)."""
    original = connection.settings_dict["NAME"]
    target = connection.settings_dict["TEST"]["NAME"] or f"test_{original}"
    template = template_name(original)
    digest = migrations_digest()
    connection.close()
    with server(template) as conn:
        if template_digest(conn, template) != digest:
            build_template(conn, template, digest)
        clone(conn, template, target)
    point_at(target)
    return target, original


def tear_down(target: str, original: str) -> None:
    drop(target, template_name(original))
    point_at(original)
