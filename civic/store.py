"""Every hand-written SQL statement of the civic core, each with the reason it is not the ORM's.

(The speed machinery's own statements stay in civic/perf/.)"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from typing import Any

from django.db import connection, connections
from django.db.models import QuerySet

from civic.models import (
    ApiToken,
    JobState,
    Notification,
    NotificationStatus,
    RegisterEntry,
    StaffJob,
    User,
)
from civic.perf import model_columns, prepared_cursor

# The last-used stamp is refreshed at most this often: a write per call would cost the hot path.
TOKEN_STAMP_SECONDS = 300


@cache
def _token_sql() -> str:
    token = ApiToken._meta.db_table
    return (
        # The stamp rides in the lookup's statement (no second round trip), and only when the
        # presented secret's digest matches: knowing a token's id does not move its stamp.
        f'WITH stamp AS (UPDATE "{token}" SET "last_used_at" = now() '  # noqa: S608 - names from the models
        'WHERE "id" = %s AND "digest" = %s AND "expires_at" > now() '
        f'AND ("last_used_at" IS NULL OR "last_used_at" < now() - interval \'{TOKEN_STAMP_SECONDS} seconds\')) '
        'SELECT t."digest", t."expires_at", '
        f"{model_columns(User, 'u')}, {model_columns(RegisterEntry, 'e')} "
        f'FROM "{token}" t '
        f'JOIN "{User._meta.db_table}" u ON u."id" = t."user_id" '
        f'LEFT JOIN "{RegisterEntry._meta.db_table}" e ON e."id" = u."register_entry_id" '
        'WHERE t."id" = %s'
    )


def token_user_row(token_id: int, digest: str) -> tuple[Any, ...] | None:
    """The token's digest and expiry, the user's columns, then their register entry's (NULLs
    without one), for the token `token_id`; the caller compares the digest.

    Why by hand: every authenticated API call pays for this lookup. One prepared statement with
    no ORM compilation brings the token's user and the register entry the signing and voting
    paths need next (DRF's lookup through the ORM cost 1.4 ms of CPU, this 0.2 ms), and refreshes
    the token's last-used stamp when it is older than TOKEN_STAMP_SECONDS. `digest` is the SHA-256
    of the presented secret: the secret itself never reaches the database or its logs."""
    with prepared_cursor() as cursor:
        cursor.execute(_token_sql(), [token_id, digest, token_id])
        return cursor.fetchone()


@cache
def _session_user_sql() -> str:
    return (
        f"SELECT {model_columns(User, 'u')}, {model_columns(RegisterEntry, 'e')} "  # noqa: S608 - names from the models
        f'FROM "{User._meta.db_table}" u '
        f'LEFT JOIN "{RegisterEntry._meta.db_table}" e ON e."id" = u."register_entry_id" '
        'WHERE u."id" = %s'
    )


def session_user_row(user_id: int) -> tuple[Any, ...] | None:
    """The user's columns, then their register entry's (NULLs without one).

    Why by hand: every signed-in request loads its user; the ORM's lookup cost about 1 ms of CPU
    to compile (bench/pages_cpu.py), this about 0.15 ms, and it brings the register entry the
    signing pages read next, as the token lookup does for the API."""
    with prepared_cursor() as cursor:
        cursor.execute(_session_user_sql(), [user_id])
        return cursor.fetchone()


# Any constant shared by every process: the audit chain's tail is appended under this lock.
AUDIT_LOCK_KEY = 0x0A0D17


def audit_tail_lock() -> None:
    """Hold the audit chain's tail until the caller's transaction ends.

    Why by hand: appending reads the last entry's hash and writes the next one; two writers must
    not read the same tail. A transaction-scoped advisory lock serialises exactly the appenders
    (the ORM has no advisory locks, and locking the last row would not stop a second appender
    when the table is empty)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_LOCK_KEY])


def database_ping() -> None:
    """One round trip to the database, for the health check.

    Why by hand: the check must prove the server answers, not that a table or a model is there;
    `SELECT 1` is the cheapest statement that does."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def triggers_present(alias: str, names: Sequence[str]) -> set[str]:
    """Which of these (non-internal) triggers exist in the database `alias`.

    Why SQL: the catalogue `pg_trigger` has no model; a deploy check asks it."""
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgname = ANY(%s) AND NOT tgisinternal",
            [list(names)],
        )
        return {str(row[0]) for row in cursor.fetchall()}


def notifications_insert(
    *,
    recipients: QuerySet[User],
    kind: str,
    subjects: dict[str, str],
    bodies: dict[str, str],
    url: str,
    fallback: str,
    created_at: datetime,
) -> list[int]:
    """Write one pending notification for each of `recipients`, its subject and body chosen by
    the recipient's language (`subjects[lang]`, `bodies[lang]`; `fallback`'s for any other);
    returns the new rows' ids.

    Why by hand: a broadcast tells every follower of an initiative, tens of thousands of people
    on a viral one. Written row by row it cost a statement (and a delivery task) per follower and
    held the worker that folds the counts; bulk_create would still ship every row's text to the
    server in one statement per chunk. One INSERT ... SELECT over the recipients' query is one
    statement whatever their number: each language's text travels once, the rows never leave."""
    select, select_params = (
        recipients.order_by().values_list("pk", "language").query.sql_with_params()
    )
    languages = sorted(subjects)
    case = "CASE r.language " + " ".join("WHEN %s THEN %s" for _lang in languages) + " ELSE %s END"
    table = Notification._meta.db_table
    sql = (
        f'INSERT INTO "{table}" ("uid", "recipient_id", "kind", "subject", "body", "url", '  # noqa: S608 - names from the models, the CASE from placeholders
        '"created_at", "status", "attempts", "last_error") '
        f"SELECT gen_random_uuid(), r.id, %s, {case}, {case}, %s, %s, %s, 0, '' "
        f"FROM ({select}) AS r(id, language) "
        'RETURNING "id"'
    )
    params: list[Any] = [kind]
    for texts in (subjects, bodies):
        for lang in languages:
            params += [lang, texts[lang]]
        params.append(texts[fallback])
    params += [url, created_at, NotificationStatus.PENDING.value, *select_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(int(row[0]) for row in cursor.fetchall())


@contextmanager
def job_progress_outside(job_id: int) -> Iterator[Callable[[int], None]]:
    """Why SQL, on a connection of its own: an all-or-nothing job (the register import) applies
    its whole file in ONE transaction, whose writes no one sees before it commits. Its progress
    (rows read and checked so far) is written on a second connection, committed at once, so the
    job's page follows it while the import runs; the bar says rows read, and the job is "done" only
    in the import's own transaction. The second connection touches no row the import locks."""
    side = connections.create_connection("default")
    table = StaffJob._meta.db_table
    sql = (
        f'UPDATE "{table}" SET "done" = LEAST(%s, COALESCE("total", %s)) '  # noqa: S608 - names from the model
        'WHERE "id" = %s AND "state" = %s'
    )

    def moved(done: int) -> None:
        with side.cursor() as cursor:
            cursor.execute(sql, [done, done, job_id, JobState.RUNNING.value])

    try:
        yield moved
    finally:
        side.close()
