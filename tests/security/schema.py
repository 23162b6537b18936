"""The OpenAPI schema the API serves at /api/v1/schema/, generated in-process once per run, so
that the matrix and the fuzzing are parametrized by the operations the API really has."""

from __future__ import annotations

import contextlib
import io
from functools import lru_cache
from typing import Any

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


@lru_cache(maxsize=1)
def openapi_schema() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator

    # drf-spectacular prints its own warnings on stderr; they are the schema owners' concern.
    with contextlib.redirect_stderr(io.StringIO()):
        return SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-any-return]


def operations() -> list[tuple[str, str]]:
    """(METHOD, path) for every operation, in the schema's order."""
    return [
        (method.upper(), path)
        for path, item in openapi_schema()["paths"].items()
        for method in item
        if method in HTTP_METHODS
    ]
