"""Model instances from the columns of a hand-written query, without the ORM's compiler.

The token lookup (civic/store.py) reads the token's user and register entry in one prepared
statement; these turn its row back into the two instances, as `QuerySet` would, minus the
compilation. PostgreSQL's driver hands back Python values for every field of those models (no
database converter applies: tests/civic/test_perf.py holds it), so a row is handed to
`Model.from_db` as is.
"""

from __future__ import annotations

from functools import cache

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Model


@cache
def model_attnames(model: type[Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


@cache
def model_columns(model: type[Model], alias: str) -> str:
    """The model's concrete columns as a SELECT list under the table alias `alias`."""
    return ", ".join(f'{alias}."{f.column}"' for f in model._meta.concrete_fields)


def model_from_row(model: type[Model], values: list[object]) -> Model:
    """An instance from its columns in `model_columns` order."""
    return model.from_db(DEFAULT_DB_ALIAS, model_attnames(model), values)
