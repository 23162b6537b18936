"""Database helpers shared by the apps' hot paths.

`prepared_cursor()` runs the few statements that every signature, cast or authenticated API call
pays for (the token lookup, the signing statement, the first vote) as server-side prepared
statements on PostgreSQL: PostgreSQL parses and plans such a statement once per connection instead
of on every request. Planning those data-modifying CTEs cost PostgreSQL about as much CPU as
running them (see bench/README.md, W1).

Django's own cursors bind parameters on the client and are never prepared, so everything else is
untouched. Behind a pooler in transaction mode that cannot keep prepared statements (PgBouncer
before 1.21, or without `max_prepared_statements`), set `DATABASE_PREPARED_STATEMENTS=false`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper


def prepared_statements_enabled(conn: BaseDatabaseWrapper) -> bool:
    # While Django logs queries (DEBUG, or a test capturing them), the log needs the client-side
    # cursor's rendered SQL: the same statement then runs unprepared.
    return (
        conn.vendor == "postgresql"
        and settings.DATABASE_PREPARED_STATEMENTS
        and not conn.queries_logged
    )


@contextmanager
def prepared_cursor() -> Iterator[CursorWrapper]:
    """`connection.cursor()`, except that on PostgreSQL its statements bind their parameters on the
    server and are prepared on first use (then reused by the connection). Write the SQL so that
    every parameter's type is known to the server: cast it where the context does not say.
    (The connection prepares on first use: civic.perf.postgresql sets `prepare_threshold` to 0.)"""
    # Django's cursor() does the health check, the connection and the (debug) wrapping; only the
    # psycopg cursor inside is swapped (creating the client one costs no round trip). The
    # connection is looked up once: each use of the `connection` proxy looks it up again.
    conn = connections[DEFAULT_DB_ALIAS]
    with conn.cursor() as wrapper:
        if prepared_statements_enabled(conn):
            from django.db.backends.postgresql.base import (  # type: ignore[attr-defined]
                ServerBindingCursor,  # psycopg 3 only, unknown to the stubs
            )

            wrapper.cursor.close()
            wrapper.cursor = ServerBindingCursor(conn.connection)
        yield wrapper
