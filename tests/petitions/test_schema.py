"""The indexes of the tables written on every signature, every ballot and every count tick: each
one is paid for by every write, so none may repeat another."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection

INDEX_MIGRATION = "petitions.migrations.0007_signature_indexes_once"
HOT_TABLES = [
    "petitions_initiativecount",  # rewritten for every signed initiative at each tick (W3)
    "petitions_signature",
    "petitions_signaturecountslot",
    "referendums_ballot",
    "referendums_participation",
    "referendums_receipthash",
    "referendums_turnoutslot",
]


def _index_names(table: str) -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {name for name, c in constraints.items() if c["index"] or c["unique"]}


@pytest.mark.django_db
def test_no_index_of_a_table_written_per_signature_or_ballot_repeats_another() -> None:
    # A full index whose columns lead another full index (same columns in the same order, same
    # operator classes) adds a write to every row and serves no query the other does not.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT t.relname, a.relname, b.relname
            FROM pg_index x
            JOIN pg_index y ON y.indrelid = x.indrelid AND y.indexrelid <> x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_class a ON a.oid = x.indexrelid
            JOIN pg_class b ON b.oid = y.indexrelid
            WHERE t.relname = ANY(%s)
              AND x.indpred IS NULL AND y.indpred IS NULL AND NOT x.indisprimary
              AND (y.indkey::text = x.indkey::text OR y.indkey::text LIKE x.indkey::text || ' %%')
              AND (y.indclass::text = x.indclass::text
                   OR y.indclass::text LIKE x.indclass::text || ' %%')
              AND (NOT x.indisunique OR y.indkey::text = x.indkey::text)
            """,
            [HOT_TABLES],
        )
        repeats = cursor.fetchall()
    assert repeats == []


@pytest.mark.django_db(transaction=True)
def test_the_index_migration_drops_the_repeats_and_back() -> None:
    migration = importlib.import_module(INDEX_MIGRATION)
    dropped = set(migration.REDUNDANT)
    assert "signature_paper_agent_idx" in _index_names("petitions_signature")
    assert not dropped & _index_names("petitions_signature")
    try:
        with connection.schema_editor(atomic=False) as editor:
            migration.backwards(apps, editor)
        names = _index_names("petitions_signature")
        assert dropped <= names
        assert "signature_paper_agent_idx" not in names
    finally:
        with connection.schema_editor(atomic=False) as editor:
            migration.forwards(apps, editor)
    names = _index_names("petitions_signature")
    assert not dropped & names
    assert {"signature_paper_agent_idx", "signature_entry_idx", "signature_one_per_entry"} <= names


@pytest.mark.django_db(transaction=True)
def test_the_index_migration_rebuilds_an_index_an_interrupted_run_left_invalid() -> None:
    from django.db import IntegrityError

    migration = importlib.import_module(INDEX_MIGRATION)
    with connection.cursor() as cursor:
        cursor.execute('DROP INDEX IF EXISTS "signature_paper_agent_idx"')
        # A concurrent build that fails leaves its index behind, INVALID (two shipped instrument
        # types: a unique index on a constant cannot be built).
        with pytest.raises(IntegrityError):
            cursor.execute(
                'CREATE UNIQUE INDEX CONCURRENTLY "signature_paper_agent_idx" '
                'ON "petitions_instrumenttype" ((1))'
            )
    with connection.schema_editor(atomic=False) as editor:
        migration.forwards(apps, editor)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indisvalid, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'signature_paper_agent_idx'"
        )
        valid, definition = cursor.fetchone()
    assert (
        valid and "petitions_signature" in definition and "entered_by_id IS NOT NULL" in definition
    )


@pytest.mark.django_db
def test_the_count_tick_rewrites_published_counts_in_place() -> None:
    # The tick writes `count` and `updated_at` of every touched row: with room left on each page
    # and neither column indexed, each new row version stays on its page and touches no index
    # (a HOT update), so the fold costs a few page writes per initiative, not index entries.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reloptions FROM pg_class WHERE relname = 'petitions_initiativecount'"
        )
        (options,) = cursor.fetchone()
        cursor.execute(
            """
            SELECT a.attname FROM pg_index x
            JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(x.indkey)
            WHERE t.relname = 'petitions_initiativecount'
            """
        )
        indexed = {name for (name,) in cursor.fetchall()}
    assert "fillfactor=50" in (options or [])
    assert indexed == {"id", "initiative_id", "track"}
