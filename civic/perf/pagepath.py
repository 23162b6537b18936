"""The page path: an initiative's page and its signing form without the URL resolver's walk and the
three middleware that never act on them.

W11 reads an initiative's page far more than any other (anonymous, answered 304 from the page memo,
or signed in from the page kept per kind of resident) and W12 posts its signing form. Every one of
these requests went through the URL resolver (the language prefix, then every route of the site in
order: about 60 µs of CPU per request, a tenth of a 304) and through whitenoise, allauth's
middleware and the staff second factor's, which do nothing for them.

Here such a request runs Django's own handler (`WSGIHandler`) with:

- every middleware of MIDDLEWARE but those in SKIPPED, in the same order, by Django's own chain: the
  session, CSRF (the form's token checked by `CsrfViewMiddleware.process_view`, unchanged), the
  authentication, the messages, the locale, the page cache's headers, the security headers;
- the view the URLconf names, with the same `ResolverMatch` the resolver gives (the first request
  of each kind in each language is resolved by the resolver itself, and its match is reused with
  the request's own id): `login_required`, `require_POST`, the rate limit, the signing service, the
  messages and the redirect are the view's own.

Anything else (another path, another method, a path with a trailing part) goes to the whole
application. The tests send every case both ways and compare status, headers and body
(tests/civic/test_pagepath.py).

The page path turns itself off with `PAGE_HOT_PATH=false`, and whenever MIDDLEWARE holds a class it
does not know: a new middleware must be reviewed for what it does to these requests and listed in
APPLIED or SKIPPED first (system check civic.W011).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.handlers.wsgi import WSGIHandler
from django.urls import ResolverMatch
from django.utils.translation import get_language

# The pages it serves: an initiative's page (GET, HEAD) and its signing form (POST), French at the
# plain address, another language under its prefix (config/urls.py). A test resolves each to the
# same view as the URLconf.
ROUTES: tuple[tuple[frozenset[str], str, str], ...] = (
    (frozenset({"GET", "HEAD"}), r"initiatives/(?P<pk>[0-9]{1,18})/", "detail"),
    (frozenset({"POST"}), r"initiatives/(?P<pk>[0-9]{1,18})/sign/", "sign"),
)
# Middleware the page path runs, in the order of MIDDLEWARE, through Django's own chain.
APPLIED = frozenset(
    {
        "django.middleware.security.SecurityMiddleware",
        "civic.middleware.SecurityHeadersMiddleware",
        "civic.middleware.RequestBodyLimitMiddleware",
        "civic.http_cache.PageCacheMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "civic.middleware.LocaleMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    }
)
# Middleware it leaves out, and why that changes nothing for these pages.
SKIPPED = {
    "whitenoise.middleware.WhiteNoiseMiddleware": "serves static files only",
    "allauth.account.middleware.AccountMiddleware": (
        "acts on sign-in flows and on a 404 under /accounts/ only; these views raise none of "
        "allauth's exceptions"
    ),
    "civic.second_factor.SecondFactorMiddleware": "acts on /admin/ only",
}
_ROUTE_KEY = "civic.page_route"


class _PageHandler(WSGIHandler):
    """Django's handler with the reviewed middleware only, and the route already known."""

    def load_middleware(self, is_async: bool = False) -> None:
        # BaseHandler.load_middleware reads settings.MIDDLEWARE: give it the applied ones, once,
        # while the application is built (no request is served yet).
        listed = settings.MIDDLEWARE
        settings.MIDDLEWARE = [name for name in listed if name not in SKIPPED]
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = listed

    def __init__(self) -> None:
        super().__init__()
        self.matches: dict[tuple[str, str, str], ResolverMatch] = {}

    def resolve_request(self, request: Any) -> ResolverMatch:
        name, pk, prefix = request.META[_ROUTE_KEY]
        if hasattr(request, "urlconf"):  # as Django's: nothing here sets one
            return super().resolve_request(request)
        key = (name, prefix, get_language() or "")
        known = self.matches.get(key)
        if known is None:
            # The resolver's own answer (a 404 for a prefix it does not serve), its id replaced
            # for the next requests of this kind in this language.
            known = super().resolve_request(request)
            if known.url_name != name or known.namespace != "petitions" or known.args:
                return known
            self.matches[key] = known
        kwargs = {"pk": pk}
        match = ResolverMatch(
            known.func,
            (),
            kwargs,
            known.url_name,
            list(known.app_names),
            list(known.namespaces),
            known.route,
            known.tried,
            dict(kwargs),
            dict(getattr(known, "extra_kwargs", None) or {}),
        )
        request.resolver_match = match
        return match


class PagePath:
    """WSGI application: `application`, with the page path in front of it for ROUTES."""

    def __init__(self, application: Callable[..., Iterable[bytes]]) -> None:
        self.application = application
        self.known = not unreviewed_middleware()
        self.handler = _PageHandler() if self.known else None
        prefixes = "|".join(re.escape(code) for code, _name in settings.LANGUAGES)
        self.routes = [
            (methods, re.compile(rf"(/(?:(?:{prefixes})/)?){pattern}\Z"), name)
            for methods, pattern, name in ROUTES
        ]

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if self.handler is not None and settings.PAGE_HOT_PATH:
            route = self.match(environ)
            if route is not None:
                environ[_ROUTE_KEY] = route
                return self.handler(environ, start_response)
        return self.application(environ, start_response)

    def match(self, environ: dict[str, Any]) -> tuple[str, int, str] | None:
        """The route's name, the id and the language prefix ("/" or "/en/"), or None."""
        method = environ.get("REQUEST_METHOD", "")
        path = environ.get("PATH_INFO", "")
        for methods, pattern, name in self.routes:
            if method in methods:
                found = pattern.match(path)
                if found is not None:
                    return name, int(found["pk"]), found[1]
        return None


def unreviewed_middleware() -> list[str]:
    return [name for name in settings.MIDDLEWARE if name not in APPLIED and name not in SKIPPED]


def check_middleware_reviewed(app_configs: Any = None, **_kwargs: Any) -> list[checks.CheckMessage]:
    """A system check: say so when a middleware nobody reviewed has turned the page path off."""
    unknown = unreviewed_middleware()
    if not settings.PAGE_HOT_PATH or not unknown:
        return []
    return [
        checks.Warning(
            "The page path of an initiative's page and its signing form is off: MIDDLEWARE holds "
            + ", ".join(unknown)
            + ", which civic/perf/pagepath.py neither applies nor skips.",
            hint="Review what it does to these pages and list it in APPLIED or SKIPPED.",
            id="civic.W011",
        )
    ]
