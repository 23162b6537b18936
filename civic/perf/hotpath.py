"""The short path: the API's two hottest writes without the parts of the stack they do not use.

A surge is mostly one request: a resident's app or a kiosk POSTing a signature or a ballot with
`Authorization: Bearer <token>`. Through the whole stack such a request spent more CPU in the
middleware, the URL resolver and DRF's dispatch than in its own work (bench/README.md, W1). Here it
runs, in this order:

- the middleware that concern it, by their own hooks and in the order of MIDDLEWARE: the HTTPS
  redirect and the security headers, the bound on a body sent without Content-Length, the
  language, the host check and Content-Length, X-Frame-Options;
- the view class the URLconf names, by DRF's own methods: the bearer authenticator, the view's
  permission classes, its throttles, its handler method, its exception handler, its renderer.

It leaves out what has nothing to do with a bearer request: the session and the session
authenticator, CSRF (DRF exempts its views and checks CSRF only for session authentication), the
auth middleware's lazy user (the user comes from the token), messages, allauth, static files,
content negotiation (the request accepts JSON) and the URL resolver (the route is known).

Whatever is unusual goes through the whole stack, decided before anything has changed anywhere:
another `Accept`, a query string (DRF's `?format=`), a token that fails, a refused permission, a
redirect or a bad Host from a middleware, an error while authenticating (the database gone). Once
the rate limit has counted the request, the short path answers everything itself, through the
view's own exception handling. The tests send every
case both ways and compare status, body and headers (tests/civic/test_hotpath.py).

The short path turns itself off with `API_HOT_PATH=false`, and whenever MIDDLEWARE holds a class
it does not know: a new middleware must be reviewed for what it does to these requests, and listed
here as applied or skipped, before the short path may run without it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core import checks, signals
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.exception import response_for_exception
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest, get_script_name
from django.http import HttpResponseBase
from django.urls import set_script_prefix, set_urlconf
from django.utils.cache import patch_vary_headers
from django.utils.log import log_response
from django.utils.module_loading import import_string
from rest_framework.request import Request
from rest_framework.views import APIView

from civic.api.authentication import BearerTokenAuthentication

# The same routes as the URLconf (a test resolves every one to the same view class).
ROUTES: tuple[tuple[str, str, str], ...] = (
    (
        "POST",
        r"/api/v1/initiatives/(?P<pk>[0-9]{1,18})/signatures/",
        "petitions.api.signatures.SignatureCreateApi",
    ),
    (
        "POST",
        r"/api/v1/referendums/(?P<pk>[0-9]{1,18})/ballots/",
        "referendums.api.views.BallotCastApi",
    ),
)

# Middleware the short path runs, by their own process_request and process_response.
APPLIED = frozenset(
    {
        "django.middleware.security.SecurityMiddleware",
        "civic.middleware.SecurityHeadersMiddleware",
        "civic.middleware.RequestBodyLimitMiddleware",
        "civic.middleware.LocaleMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    }
)
# Middleware it leaves out, and why that changes nothing for a bearer request.
SKIPPED = {
    "whitenoise.middleware.WhiteNoiseMiddleware": "serves static files only",
    "civic.http_cache.PageCacheMiddleware": "acts on pages only, never under /api/",
    "django.contrib.sessions.middleware.SessionMiddleware": (
        "no session: its one effect on these answers, `Vary: Cookie` (DRF's session "
        "authenticator looks at the session first), is added as it would be"
    ),
    "django.middleware.csrf.CsrfViewMiddleware": (
        "DRF's views are exempt, and DRF checks CSRF only for session authentication"
    ),
    "django.contrib.auth.middleware.AuthenticationMiddleware": "the user comes from the token",
    "django.contrib.messages.middleware.MessageMiddleware": "no messages in the API",
    "allauth.account.middleware.AccountMiddleware": "acts on login flows only",
    "civic.second_factor.SecondFactorMiddleware": "acts on /admin/ only",
}
_SESSION = "django.contrib.sessions.middleware.SessionMiddleware"
# What DRF's content negotiation answers JSON for, with the JSON renderer first in the view.
_JSON_ACCEPTS = frozenset({"", "*/*", "application/json"})


class _Fallback(Exception):
    """The whole stack must answer this request; nothing has changed yet."""


class HotPath:
    """WSGI application: Django's, with the short path in front of it for ROUTES."""

    def __init__(self, application: Callable[..., Iterable[bytes]]) -> None:
        self.application = application
        self.routes: dict[str, list[tuple[re.Pattern[str], type[APIView]]]] = {}
        for method, pattern, view in ROUTES:
            view_class = import_string(view)
            if view_class.renderer_classes[0].media_type != "application/json":
                raise ImproperlyConfigured(f"{view}: the short path answers in JSON only")
            self.routes.setdefault(method, []).append((re.compile(pattern + r"\Z"), view_class))
        names = list(settings.MIDDLEWARE)
        self.known = not unreviewed_middleware()
        applied = [(name, import_string(name)(_never)) for name in names if name in APPLIED]
        self.request_hooks: list[Callable[[Any], HttpResponseBase | None]] = [
            m.process_request for _n, m in applied if hasattr(m, "process_request")
        ]
        # The response hooks in the order the whole stack runs them: the innermost first.
        self.response_hooks: list[Callable[[Any, HttpResponseBase], HttpResponseBase]] = []
        for name in reversed(names):
            if name == _SESSION:
                self.response_hooks.append(_session_vary)
            for applied_name, middleware in applied:
                if applied_name == name and hasattr(middleware, "process_response"):
                    self.response_hooks.append(middleware.process_response)

    def enabled(self) -> bool:
        return self.known and settings.API_HOT_PATH

    def match(self, environ: dict[str, Any]) -> tuple[type[APIView], dict[str, Any]] | None:
        routes = self.routes.get(environ.get("REQUEST_METHOD", ""))
        if routes is None or environ.get("QUERY_STRING"):
            return None
        keyword, _sep, _key = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        if keyword.lower() not in {"bearer", "token"}:
            return None
        if environ.get("HTTP_ACCEPT", "").strip() not in _JSON_ACCEPTS:
            return None
        path = environ.get("PATH_INFO", "")
        for pattern, view in routes:
            found = pattern.match(path)
            if found is not None:
                return view, {"pk": int(found["pk"])}
        return None

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        route = self.match(environ) if self.enabled() else None
        if route is None:
            return self.application(environ, start_response)
        set_script_prefix(get_script_name(environ))
        set_urlconf(settings.ROOT_URLCONF)
        signals.request_started.send(sender=WSGIHandler, environ=environ)
        request = WSGIRequest(environ)
        try:
            response: Any = self.respond(request, *route)
        except _Fallback:
            signals.request_finished.send(sender=WSGIHandler)
            return self.application(environ, start_response)
        # As WSGIHandler and BaseHandler do with a response.
        response._resource_closers.append(request.close)
        if response.status_code >= 400:
            log_response(
                "%s: %s", response.reason_phrase, request.path, response=response, request=request
            )
        response._handler_class = WSGIHandler
        status = f"{response.status_code} {response.reason_phrase}"
        headers = [
            *response.items(),
            *(("Set-Cookie", c.output(header="")) for c in response.cookies.values()),
        ]
        start_response(status, headers)
        return response  # closing it sends request_finished, as Django's own responses do

    def respond(
        self, request: WSGIRequest, view_class: type[APIView], kwargs: dict[str, Any]
    ) -> HttpResponseBase:
        for request_hook in self.request_hooks:
            try:
                redirect = request_hook(request)
            except Exception:  # a bad Host, a refused user agent: answered by the whole stack
                raise _Fallback from None
            if redirect is not None:  # to HTTPS, say: the whole stack answers it
                raise _Fallback
        view = view_class()
        view.args, view.kwargs, view.format_kwarg = (), kwargs, None
        drf_request = Request(
            request,
            parsers=view.get_parsers(),
            authenticators=(BearerTokenAuthentication(),),
            parser_context={"view": view, "args": (), "kwargs": kwargs},
        )
        view.request = drf_request
        view.headers = view.default_response_headers
        drf_request.accepted_renderer = view.renderer_classes[0]()
        drf_request.accepted_media_type = drf_request.accepted_renderer.media_type
        drf_request.version, drf_request.versioning_scheme = None, None
        try:
            view.perform_authentication(drf_request)
            view.check_permissions(drf_request)
        except Exception:  # a refusal, or the database gone: only reads so far
            raise _Fallback from None
        try:
            try:
                view.check_throttles(drf_request)
                response = getattr(view, str(request.method).lower())(drf_request, **kwargs)
            except Exception as exc:
                response = view.handle_exception(exc)  # re-raises what it does not handle
            response = view.finalize_response(drf_request, response, **kwargs)
            response = response.render()
        except Exception as exc:  # a server error: answered, logged and reported as Django does
            response = response_for_exception(request, exc)
        for response_hook in self.response_hooks:
            response = response_hook(request, response)
        return response


def unreviewed_middleware() -> list[str]:
    return [name for name in settings.MIDDLEWARE if name not in APPLIED and name not in SKIPPED]


def check_middleware_reviewed(app_configs: Any = None, **_kwargs: Any) -> list[checks.CheckMessage]:
    """A system check: say so when a middleware nobody reviewed has turned the short path off."""
    unknown = unreviewed_middleware()
    if not settings.API_HOT_PATH or not unknown:
        return []
    return [
        checks.Warning(
            "The API's short path for signing and casting is off: MIDDLEWARE holds "
            + ", ".join(unknown)
            + ", which civic/perf/hotpath.py neither applies nor skips.",
            hint="Review what it does to a bearer-token POST and list it in APPLIED or SKIPPED.",
            id="civic.W010",
        )
    ]


def _never(_request: Any) -> HttpResponseBase:
    raise AssertionError("the short path calls the middleware's hooks, never the chain")


def _session_vary(_request: Any, response: HttpResponseBase) -> HttpResponseBase:
    patch_vary_headers(response, ("Cookie",))
    return response
