"""One error format for the whole API: `{"code": ..., "detail": ...}` with a 4xx status.

`code` is stable (clients switch on it); `detail` is a translated sentence, or for validation errors
the field errors; `rule` names the article of law or charter behind a refusal when there is one.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from civic.errors import DomainError

_DRF_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.ValidationError: "invalid",
    exceptions.ParseError: "malformed_request",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        body: dict[str, Any] = {"code": exc.code, "detail": str(exc.detail)}
        if exc.rule:
            body["rule"] = exc.rule
        retry_after = getattr(exc, "retry_after", None)  # civic.ratelimits.RateLimited
        if retry_after is not None:
            body["retry_after"] = retry_after
            return Response(body, status=exc.status, headers={"Retry-After": str(retry_after)})
        return Response(body, status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real server error: let it surface (logged, 500)
    assert isinstance(exc, exceptions.APIException)
    code = next(
        (c for klass, c in _DRF_CODES.items() if isinstance(exc, klass)),
        getattr(exc, "default_code", "error"),
    )
    if isinstance(exc, exceptions.ValidationError):
        detail: Any = exc.detail
        if isinstance(detail, list) and len(detail) == 1:
            detail = str(detail[0])
        response.data = {"code": code, "detail": detail}
    else:
        response.data = {"code": code, "detail": str(exc.detail)}
        wait = getattr(exc, "wait", None)
        if isinstance(exc, exceptions.Throttled) and wait is not None:
            response.data["retry_after"] = int(wait)
    return response
