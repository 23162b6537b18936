"""`prepared_cursor()`: the hot paths' statements prepared on the server (see civic/perf/__init__)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.postgresql.base import (  # type: ignore[attr-defined]
    ServerBindingCursor,  # psycopg 3 only, unknown to the stubs
)
from django.db.backends.utils import CursorWrapper


def prepared_statements_enabled(conn: BaseDatabaseWrapper) -> bool:
    # While Django logs queries (DEBUG, or a test capturing them), the log needs the client-side
    # cursor's rendered SQL: the same statement then runs unprepared.
    return bool(settings.DATABASE_PREPARED_STATEMENTS) and not conn.queries_logged


@contextmanager
def prepared_cursor() -> Iterator[CursorWrapper]:
    """`connection.cursor()`, except that its statements bind their parameters on the server and
    are prepared on first use (then reused by the connection). Write the SQL so that every
    parameter's type is known to the server: cast it where the context does not say.
    (The connection prepares on first use: civic.perf.postgresql sets `prepare_threshold` to 0.)"""
    # Django's cursor() does the health check, the connection and the (debug) wrapping; only the
    # psycopg cursor inside is swapped (creating the client one costs no round trip). The
    # connection is looked up once: each use of the `connection` proxy looks it up again.
    conn = connections[DEFAULT_DB_ALIAS]
    with conn.cursor() as wrapper:
        if prepared_statements_enabled(conn):
            wrapper.cursor.close()
            wrapper.cursor = ServerBindingCursor(conn.connection)
        yield wrapper
