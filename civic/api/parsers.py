"""The API's request parsers: DRF's, with the limits Django applies to its own forms.

DRF reads a JSON or form body straight from the request stream, past Django's
`DATA_UPLOAD_MAX_MEMORY_SIZE`, and `json.loads` of a deeply nested document (a thousand `[`)
raises `RecursionError`, a 500. Here, before any view runs:

- a body larger than `DATA_UPLOAD_MAX_MEMORY_SIZE` is refused with 413 `request_too_large`, whether
  it declares its length or not (more than the limit is never read);
- a JSON document nested deeper than `API_JSON_MAX_DEPTH` is refused with 400 `json_too_deep`;
- anything else that is not JSON (NaN, invalid UTF-8, a number of 5,000 digits) is 400
  `malformed_request`.

A chunked body without Content-Length is bounded earlier, by `civic.middleware.RequestBodyLimit`.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers, renderers, status


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("Le corps de la requête est trop volumineux.")
    default_code = "request_too_large"


class JSONTooDeep(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = _("Le document JSON est trop profondément imbriqué.")
    default_code = "json_too_deep"


def body_limit() -> int:
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


def read_bounded(stream: Any, parser_context: Mapping[str, Any] | None) -> bytes:
    """The whole body, refused (413) past the limit: by its declared length first, then by what
    the stream actually yields (never more than the limit plus one byte is read)."""
    limit = body_limit()
    request = (parser_context or {}).get("request")
    if request is not None:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            raise RequestTooLarge()
    if stream is None:
        return b""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise RequestTooLarge()
    return bytes(data)


def _too_deep(value: Any, limit: int) -> bool:
    """Whether `value` nests containers deeper than `limit` (iterative: no recursion to exhaust)."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(raw: bytes, encoding: str = "utf-8") -> Any:
    """`raw` as JSON within API_JSON_MAX_DEPTH: 400 `json_too_deep` or `malformed_request`."""
    limit = int(settings.API_JSON_MAX_DEPTH)
    try:
        text = codecs.decode(raw, encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise exceptions.ParseError(_("Le corps de la requête n'est pas du JSON valide.")) from exc
    # Containers cannot nest deeper than there are brackets: most bodies skip the walk.
    maybe_deep = text.count("[") + text.count("{") > limit
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError as exc:
        raise JSONTooDeep() from exc
    except ValueError as exc:
        raise exceptions.ParseError(_("Le corps de la requête n'est pas du JSON valide.")) from exc
    if maybe_deep and _too_deep(value, limit):
        raise JSONTooDeep()
    return value


class JSONParser(parsers.BaseParser):
    # Not a subclass of DRF's: DRF hands its own JSON and form parsers `request.body`, read whole
    # past Django's check (a 400 page, no code); these get the stream and read it bounded.
    media_type = "application/json"
    renderer_class = renderers.JSONRenderer
    strict = True

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        return parse_json(read_bounded(stream, parser_context), encoding)


class FormParser(parsers.BaseParser):
    media_type = "application/x-www-form-urlencoded"

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        return QueryDict(read_bounded(stream, parser_context), encoding=encoding)


class MultiPartParser(parsers.MultiPartParser):
    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        read_bounded(None, parser_context)  # the declared length; Django bounds the fields read
        return super().parse(stream, media_type, parser_context)
