"""Prepared statements sent together in one round trip, through libpq's pipeline directly.

A first vote is two statements that must never be one (the voter's and the ballot's:
docs/threat-model.md) and must cost one round trip. psycopg's `Connection.pipeline()` sends them
together, but its machinery (a Django and a psycopg cursor per statement, the pipeline's
generators, each result fetched back through its cursor) cost the web process more CPU than two
separate round trips: 110-150 µs per pair of trivial statements against 15-20 µs for the same
pair sent here (bench/README.md, W6). Here each statement is prepared once per connection under a
name of its own, with the parameter types it declares, and the pair goes out as
Bind/Execute, Bind/Execute, Sync: the messages psycopg's pipeline sends, the same single implicit
transaction in autocommit, the same statement texts and parameters on the server.

`available()` says when this runs: prepared statements on (`DATABASE_PREPARED_STATEMENTS`), and
Django neither logging queries (DEBUG, a test capturing them) nor wrapping their execution (an
`execute_wrapper`): whoever watches the statements that way gets them through Django's cursors.
"""

from __future__ import annotations

import itertools
import re
import select
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg import Connection, errors, pq
from psycopg._preparing import PrepareManager
from psycopg.postgres import types as pg_types

from civic.perf.prepare import prepared_statements_enabled

Row = tuple[bytes | None, ...]

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# The statements are prepared in psycopg's own register of the connection's prepared statements
# (keyed by text and parameter types, as psycopg keys its own): psycopg forgets them all, and
# deallocates them on the server, after a rollback or a DROP (a schema change may invalidate
# them), and the oldest past its limit. What psycopg no longer lists is prepared again, under a
# new name (the old one may still await its deallocation). Where a psycopg release no longer keeps
# that register, `available()` is false and the statements take psycopg's own pipeline.
_REGISTER = isinstance(getattr(PrepareManager(), "_names", None), OrderedDict)
_NAMES = (f"_civic_{n}".encode() for n in itertools.count())


# Each parameter's type, from its Python value (as psycopg would send it, with every integer
# as bigint: the server compares and assigns across integer widths).
_TYPES: dict[type, str] = {
    bool: "bool",
    int: "int8",
    str: "text",
    UUID: "uuid",
    datetime: "timestamptz",
}


@dataclass(frozen=True)
class Statement:
    """A statement written with `%(name)s` placeholders (as for a Django cursor), in the form
    libpq prepares: `$n` placeholders in order of first use, each with its type."""

    text: bytes
    order: tuple[str, ...]
    oids: tuple[int, ...]


_STATEMENTS: dict[str, Statement] = {}


def statement(sql: str, params: Mapping[str, Any]) -> Statement:
    """`sql` ready to prepare, its parameters typed after the values in `params` (the types of a
    statement's parameters never change: a later call with another type fails on the server)."""
    found = _STATEMENTS.get(sql)
    if found is not None:
        return found
    order: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match[1] not in order:
            order.append(match[1])
        return f"${order.index(match[1]) + 1}"

    text = _PLACEHOLDER.sub(number, sql)
    if set(order) != set(params):
        raise ValueError(f"placeholders {sorted(order)} against parameters {sorted(params)}")
    oids = []
    for name in order:
        type_name = _TYPES.get(type(params[name]))
        info = pg_types.get(type_name) if type_name else None
        if info is None:
            raise TypeError(f"{name}: no PostgreSQL type for {type(params[name]).__name__}")
        oids.append(info.oid)
    found = Statement(text.encode(), tuple(order), tuple(oids))
    _STATEMENTS[sql] = found
    return found


def available(conn: BaseDatabaseWrapper | None = None) -> bool:
    conn = conn or connections[DEFAULT_DB_ALIAS]
    return _REGISTER and prepared_statements_enabled(conn) and not conn.execute_wrappers


def run(steps: Sequence[tuple[str, Mapping[str, Any]]]) -> list[Row | None]:
    """Run the statements in one round trip, in order; each one's first row (its values as
    PostgreSQL's text), None for a statement that returned no row. On the first failing statement
    the rest are skipped by the server, everything since the last commit point is rolled back as
    for any failed statement, and the error is raised as Django's (IntegrityError, ...)."""
    conn = connections[DEFAULT_DB_ALIAS]
    conn.validate_thread_sharing()
    conn.validate_no_broken_transaction()
    conn.close_if_health_check_failed()
    conn.ensure_connection()
    prepared = [(statement(sql, params), params) for sql, params in steps]
    with conn.wrap_database_errors:
        return _run(conn.connection, prepared)


def _run(pgc: Connection[Any], steps: Sequence[tuple[Statement, Mapping[str, Any]]]) -> list[Any]:
    with pgc.lock:
        pg = pgc.pgconn
        register = pgc._prepared._names
        names = []
        for step, _params in steps:
            name = register.get((step.text, step.oids))
            if name is None:
                name = next(_NAMES)
                _prepare(pgc, name, step)
                register[(step.text, step.oids)] = name
            names.append(name)
        pg.enter_pipeline_mode()
        try:
            for name, (step, params) in zip(names, steps, strict=True):
                pg.send_query_prepared(name, [_text(params[n]) for n in step.order])
            pg.pipeline_sync()
            rows = _results(pgc)
        finally:
            try:
                pg.exit_pipeline_mode()
            except Exception:
                # Results left unread (the connection broke while reading them): the
                # connection cannot serve another statement; Django replaces a closed one.
                pgc.close()
    return rows


def _prepare(pgc: Connection[Any], name: bytes, step: Statement) -> None:
    pg = pgc.pgconn
    pg.send_prepare(name, step.text, param_types=step.oids)
    error = None
    while True:
        _wait(pg)
        result = pg.get_result()
        if result is None:
            break
        if result.status == pq.ExecStatus.FATAL_ERROR and error is None:
            error = errors.error_from_result(result, encoding=pgc.info.encoding)
    if error is not None:
        raise error


def _results(pgc: Connection[Any]) -> list[Row | None]:
    pg = pgc.pgconn
    rows: list[Row | None] = []
    error = None
    while True:
        _wait(pg)
        result = pg.get_result()
        if result is None:  # the end of one statement's results
            continue
        status = result.status
        if status == pq.ExecStatus.PIPELINE_SYNC:
            break
        if status == pq.ExecStatus.FATAL_ERROR:
            if error is None:
                error = errors.error_from_result(result, encoding=pgc.info.encoding)
        elif status == pq.ExecStatus.TUPLES_OK:
            rows.append(
                tuple(result.get_value(0, i) for i in range(result.nfields))
                if result.ntuples
                else None
            )
    if error is not None:
        raise error
    return rows


def _wait(pg: pq.abc.PGconn) -> None:
    """Until a result can be read without blocking (the connection is non-blocking)."""
    while pg.flush():  # 1: part of the output still queued
        select.select([pg.socket], [pg.socket], [])
        pg.consume_input()
    while pg.is_busy():
        select.select([pg.socket], [], [])
        pg.consume_input()


def _text(value: Any) -> bytes | None:
    """A parameter in PostgreSQL's text form (the server parses it as the declared type)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return b"t" if value else b"f"
    if isinstance(value, int | str | UUID):
        return str(value).encode()
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a naive datetime: the statement's time would depend on the session")
        return value.isoformat().encode()
    raise TypeError(f"no text form for {type(value).__name__}")


def as_bool(value: bytes | None) -> bool:
    return value == b"t"


def as_int(value: bytes | None) -> int:
    return int(value or 0)
