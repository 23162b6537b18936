"""Security headers Django does not set itself: a Content-Security-Policy without 'unsafe-inline'
and a Permissions-Policy. Pages keep every script and style in static files for this reason.
A bound on request bodies that declare no length. The language of a request."""

from __future__ import annotations

import functools
import io
from urllib.parse import urlsplit

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.middleware import locale
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext as _

from civic.languages import is_page_path

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


@functools.lru_cache(maxsize=4)
def _csp_with_provider(origin: str) -> str:
    """The logout form's answer redirects to the provider's end-session page: form-action names
    the provider's origin (browsers check a form's redirects against it too)."""
    return CSP.replace("form-action 'self'", f"form-action 'self' {origin}")


def content_security_policy() -> str:
    issuers = [
        issuer
        for enabled, issuer in (
            (settings.OIDC_ENABLED, settings.OIDC_ISSUER),
            (settings.STAFF_OIDC_ENABLED, settings.STAFF_OIDC_ISSUER),
        )
        if enabled and issuer
    ]
    if not issuers:
        return CSP
    origins = dict.fromkeys(f"{p.scheme}://{p.netloc}" for p in map(urlsplit, issuers))
    return _csp_with_provider(" ".join(origins))


PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


class SecurityHeadersMiddleware(MiddlewareMixin):
    # A hook rather than __call__, so that the API's short path (civic/perf/hotpath.py) runs it too.
    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        response.headers.setdefault("Content-Security-Policy", content_security_policy())
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class RequestBodyLimitMiddleware(MiddlewareMixin):
    """A body sent without Content-Length (chunked) is read here, up to DATA_UPLOAD_MAX_MEMORY_SIZE
    and no further: larger, the request is refused with 413 `request_too_large`; smaller, it becomes
    an ordinary body of known length. (Django reads a body only as far as Content-Length says, so
    without this it would silently drop a chunked body; the API's parsers bound the rest.)"""

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        environ = getattr(request, "environ", None)
        if environ is None:
            return None
        if environ.get(_TOO_LARGE):  # decided once per request, even if a second handler asks
            return _too_large()
        if (
            environ.get("CONTENT_LENGTH")
            or "chunked" not in str(environ.get("HTTP_TRANSFER_ENCODING", "")).lower()
        ):
            return None
        limit = int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        data = environ["wsgi.input"].read(limit + 1)
        if len(data) > limit:
            environ[_TOO_LARGE] = True
            return _too_large()
        environ["wsgi.input"] = io.BytesIO(data)
        environ["CONTENT_LENGTH"] = str(len(data))
        request._stream = LimitedStream(io.BytesIO(data), len(data))  # type: ignore[assignment]
        return None


_TOO_LARGE = "civic.body_too_large"


def _too_large() -> HttpResponse:
    return JsonResponse(
        {
            "code": "request_too_large",
            "detail": str(_("Le corps de la requête est trop volumineux.")),
        },
        status=413,
    )


class LocaleMiddleware(locale.LocaleMiddleware):
    """A page's language is the one in its path (French unprefixed, English under /en/), and
    nothing else: its answer does not vary on Accept-Language, so a shared cache keys it by URL
    alone. Django's own middleware, with `prefix_default_language=False`, adds
    `Vary: Accept-Language` to every unprefixed answer although it always serves the default
    language there; and it would serve the API in French whatever the client asks. The API, the
    admin and the other unprefixed addresses (civic.languages.UNPREFIXED) keep negotiating from
    Accept-Language and the language cookie, and say so in Vary, as before."""

    def process_request(self, request: HttpRequest) -> None:
        if is_page_path(request.path_info):
            super().process_request(request)
            return
        translation.activate(translation.get_language_from_request(request, check_path=False))
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if not is_page_path(request.path_info):
            patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
