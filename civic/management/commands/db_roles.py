"""The application's own database role: it owns nothing and may not rewrite the record.

    manage.py db_roles --create --role civic_app --password-env APP_DATABASE_PASSWORD

Run as the role that owns the tables (the one that migrates), after each `migrate`: it creates the
role if missing (LOGIN, not superuser, no CREATEDB/CREATEROLE) and sets its privileges afresh on
every table and sequence of the schema. The application then connects as that role
(DATABASE_URL); migrations keep running as the owner.

What the role may do, table by table (everything else: SELECT, INSERT, UPDATE, DELETE):
- the audit log: SELECT and INSERT only (append);
- ballots: SELECT, INSERT, DELETE and UPDATE of the district only: a re-vote replaces its ballot,
  the close shuffles and coarsens; once a box is sealed a trigger refuses any change;
- receipt hashes: SELECT, INSERT, DELETE, and UPDATE of the columns that mark a receipt
  superseded or count its checks (where they exist), never of its digest;
- the migrations table: SELECT only.
No table grants TRUNCATE, REFERENCES or TRIGGER; the role cannot alter, disable a trigger or
drop anything, as only the owner can.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from psycopg import sql

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
                raise CommandError(f"no role {role}: use --create")
            cursor.execute(
                sql.SQL(
                    "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION"
                ).format(ident)
            )
            done.append(f"role {role} created")
        elif row[0]:
            raise CommandError(f"{role} is a superuser: choose another role for the application")
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


class Command(BaseCommand):
    help = (
        "Create the application's database role and grant it exactly what the application needs "
        "(no rewrite of the audit log or the ballot box). Run as the owner, after migrate."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", default=os.environ.get("APP_DATABASE_ROLE", "civic_app"))
        parser.add_argument("--create", action="store_true", help="create the role if missing")
        parser.add_argument(
            "--password-env",
            default="APP_DATABASE_PASSWORD",
            help="the environment variable holding the role's password (unset: left as is)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get(options["password_env"]) or None
        for line in roles_grant(options["role"], password=password, create=options["create"]):
            self.stdout.write(line)
        self.stdout.write(f"privileges of {options['role']} set")
