"""The SQL of the application's own database role: `manage.py db_roles` (whose docstring says what
the role may do, table by table) and the deploy checks civic.W053/W054."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from psycopg import sql


class RoleRefused(Exception):
    """The role cannot be used for the application (missing without --create, or a superuser)."""


DML = ["SELECT", "INSERT", "UPDATE", "DELETE"]
# table -> (whole-table privileges, columns the role may UPDATE)
RESTRICTED: dict[str, tuple[list[str], list[str]]] = {
    "civic_auditentry": (["SELECT", "INSERT"], []),
    "referendums_ballot": (["SELECT", "INSERT", "DELETE"], ["district_code"]),
    "referendums_receipthash": (
        ["SELECT", "INSERT", "DELETE"],
        ["superseded", "checkable_until", "checks_left"],
    ),
    "django_migrations": (["SELECT"], []),
}
# Tables the close vacuums (so no dead row keeps a sealed reference): PostgreSQL 17's MAINTAIN lets
# a non-owner VACUUM; before 17 only the owner can, and the vacuum must run as the owner.
VACUUMED = (
    "referendums_ballot",
    "referendums_receipthash",
    "referendums_participation",
    "referendums_sealingkey",
)
# Tables the application never rewrites: `db_roles --check` and the deploy check look at these.
PROTECTED = ("civic_auditentry", "referendums_ballot", "referendums_receipthash")


def _columns(cursor: Any, table: str) -> set[str]:
    cursor.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = %s",
        [table],
    )
    return {row[0] for row in cursor.fetchall()}


def roles_grant(role: str, *, password: str | None = None, create: bool = True) -> list[str]:
    """Create (if asked and missing) and grant; returns what was done, one line per table."""
    done: list[str] = []
    ident = sql.Identifier(role)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
        row = cursor.fetchone()
        if row is None:
            if not create:
                raise RoleRefused(f"no role {role}: use --create")
            cursor.execute(
                sql.SQL(
                    "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION"
                ).format(ident)
            )
            done.append(f"role {role} created")
        elif row[0]:
            raise RoleRefused(f"{role} is a superuser: choose another role for the application")
        if password:
            cursor.execute(
                sql.SQL("ALTER ROLE {} PASSWORD {}").format(ident, sql.Literal(password))
            )
        cursor.execute(
            "SELECT current_database(), current_schema(), current_setting('server_version_num')::int"
        )
        database, schema, server_version = cursor.fetchone()
        cursor.execute(
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), ident)
        )
        cursor.execute(
            sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema), ident)
        )
        cursor.execute(
            "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'S', 'v', 'm') "
            "ORDER BY c.relname"
        )
        for name, kind in cursor.fetchall():
            table = sql.Identifier(name)
            cursor.execute(sql.SQL("REVOKE ALL ON {} FROM {}").format(table, ident))
            if kind == "S":
                cursor.execute(sql.SQL("GRANT USAGE, SELECT ON {} TO {}").format(table, ident))
                continue
            privileges, columns = RESTRICTED.get(name, (DML, []))
            cursor.execute(
                sql.SQL("GRANT {} ON {} TO {}").format(
                    sql.SQL(", ").join(sql.SQL(p) for p in privileges), table, ident
                )
            )
            present = [c for c in columns if c in _columns(cursor, name)]
            if present:
                cursor.execute(
                    sql.SQL("GRANT UPDATE ({}) ON {} TO {}").format(
                        sql.SQL(", ").join(sql.Identifier(c) for c in present), table, ident
                    )
                )
            if name in VACUUMED and server_version >= 170000:
                cursor.execute(sql.SQL("GRANT MAINTAIN ON {} TO {}").format(table, ident))
            if name in RESTRICTED:
                done.append(
                    f"{name}: {', '.join(privileges)}"
                    + (f"; UPDATE ({', '.join(present)})" if present else "")
                )
    return done


def connected_role() -> tuple[bool, bool] | None:
    """(is a superuser, owns the audit log) for the role this process connects as; None when the
    role is unknown. For the deploy check civic.W053/W054."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.rolsuper, c.relowner = r.oid FROM pg_roles r "
            "LEFT JOIN pg_class c ON c.relname = 'civic_auditentry' "
            "AND c.relnamespace = to_regnamespace(current_schema())::oid "
            "WHERE r.rolname = current_user"
        )
        row = cursor.fetchone()
    return None if row is None else (bool(row[0]), bool(row[1]))
