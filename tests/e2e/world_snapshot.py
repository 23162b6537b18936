"""One seeded world per test process, put back before each test instead of seeded again.

The browser tests and the live-server security suites each start from the seeded city
(tests/e2e/world.py): about half a second of factories and services (accounts, an initiative signed
and counted, two votes opened, one cast, closed and published, an assembly seated), paid by some 230
tests. The flush after each transactional test then empties every table (tests/conftest.py).

The first test of a process that asks for a world seeds it, then copies every table the seeding
filled into a schema of its own test database (`world_full`, `world_accounts`); each later test
empties those tables and copies them back, in one transaction, and gets its own unpickled copy of
the `World` objects, the same ids and keys. What the seeding left outside the database is put back
as seeding leaves it: the cache and the per-process memos are cleared (forget_instrument_memos);
the counts are read through from their table. The sequences are not rewound, so what a test creates
gets new ids, as it would after a fresh seeding.

A world older than MAX_AGE_SECONDS is seeded again: it holds what ages (an open vote's window, an
e-mailed password-reset key, a receipt checkable for RECEIPT_CHECK_MINUTES), and a loaded run of the
suite can last longer than that.
"""

from __future__ import annotations

import pickle
import time
from dataclasses import dataclass

from django.db import connection, transaction
from psycopg import sql

from tests import template_db
from tests.e2e.world import World, forget_instrument_memos, seed_world

MAX_AGE_SECONDS = 10 * 60
# The schemas are `<prefix>_full` and `<prefix>_accounts`.
SCHEMA_PREFIX = "world"


@dataclass(frozen=True)
class Snapshot:
    schema: str
    tables: tuple[str, ...]
    world: bytes
    taken: float


_snapshots: dict[bool, Snapshot] = {}


def shared_world(*, instruments: bool) -> World:
    """The seeded world as `seed_world(instruments=...)` leaves it, seeded once per process (and
    again when older than MAX_AGE_SECONDS). Call it on a flushed database, as a transactional
    test's fixture does."""
    snapshot = _snapshots.get(instruments)
    if snapshot is None or time.monotonic() - snapshot.taken > MAX_AGE_SECONDS:
        world = seed_world(instruments=instruments)
        schema = f"{SCHEMA_PREFIX}_{'full' if instruments else 'accounts'}"
        _snapshots[instruments] = Snapshot(
            schema=schema,
            tables=_copy_out(schema),
            world=pickle.dumps(world),
            taken=time.monotonic(),
        )
        return world
    _copy_back(snapshot)
    forget_instrument_memos()
    world = pickle.loads(snapshot.world)  # noqa: S301 - bytes this process pickled itself
    assert isinstance(world, World)
    return world


def _copy_out(schema: str) -> tuple[str, ...]:
    """Every table of the application that holds rows, copied into `schema` (made anew)."""
    name = sql.Identifier(schema)
    filled = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(name))
        cursor.execute(sql.SQL("CREATE SCHEMA {}").format(name))
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        for (table,) in cursor.fetchall():
            source = sql.Identifier("public", table)
            cursor.execute(sql.SQL("SELECT EXISTS (SELECT FROM {})").format(source))
            if cursor.fetchone()[0]:
                cursor.execute(
                    sql.SQL("CREATE TABLE {} AS SELECT * FROM {}").format(
                        sql.Identifier(schema, table), source
                    )
                )
                filled.append(table)
    return tuple(filled)


def _copy_back(snapshot: Snapshot) -> None:
    """The snapshot's tables emptied and filled again from it, in one transaction, as the flush puts
    the seed back (template_db.put_back)."""
    statements = template_db.put_back(
        snapshot.schema, emptied=snapshot.tables, refilled=snapshot.tables
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql.SQL("; ").join(statements))
