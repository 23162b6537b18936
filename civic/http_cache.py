"""HTTP caching of the public pages, so that a CDN or a reverse proxy can carry a surge of readers.

The UK Parliament's petitions site fell in March 2019 under page views, not signatures. Here the
public pages (home, lists, an initiative, a referendum and its results, the assembly, the
dashboard) are the same bytes for every anonymous visitor of one language (the language is in the
URL, civic.middleware.LocaleMiddleware): no session, no CSRF token, no per-user fragment. A view
says so with `@public_page`; `PageCacheMiddleware` enforces the rest for every page.

For an anonymous GET (no session cookie, no pending message) of a `@public_page` view:

    Cache-Control: public, max-age=0, s-maxage=<PAGE_CACHE_SECONDS>,
                   stale-while-revalidate=<PAGE_CACHE_SECONDS>
    ETag: "<sha-256 of the body, 32 hex digits>"        (strong: the same bytes, the same tag)

and `304 Not Modified` to a matching `If-None-Match`. The request's user is the anonymous user
before the view runs, so nothing reads the session and Django adds no `Vary: Cookie`.

Why `max-age=0` for the browser and `s-maxage` for the shared cache: a visitor who reads an
initiative anonymously, signs in and comes back to it must see the sign button, not the "sign in"
link the browser kept. With `max-age=0` the browser asks again every time (a cheap 304 when nothing
changed); that request carries the new session cookie, so it gets the signed-in page. The shared
cache (which must pass requests with a session cookie through, docs/deploy-cdn.md) holds the page
for `s-maxage`, one tick by default: the count on the page changes at most once a tick anyway. A
browser that applies `stale-while-revalidate` itself could still show the stale anonymous copy
once; the answers that start or end a session therefore carry `Clear-Site-Data: "cache"`.

Every other page, and any page asked with a session cookie, is `Cache-Control: private, no-cache`:
never stored by a shared cache, revalidated by the browser (a signed-out visitor does not see the
signed-in page again). A page marked public whose answer still sets a cookie or varies on Cookie is
made private here too: a regression costs speed, never a resident's page served to another.

The ETag digests the bytes, so it changes exactly when what the page shows changes (a signature
counted at the tick, an edit, a new deployment's templates) and never otherwise. The 304 is cheap
because each process keeps each anonymous page it rendered for `PAGE_MEMO_SECONDS` (one second): a
surge on one page renders it about once a second per process, and answers the rest, 304s
included, with no query and no rendering. A page is then at most that second older than its data,
except what the page names as its `version` (an initiative's count): a new version is a new page
at once, in every process.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotModified
from django.utils.cache import cc_delim_re
from django.utils.translation import get_language

from civic.languages import is_page_path

PAGE_CACHE_SECONDS = int(settings.PAGE_CACHE_SECONDS)
PUBLIC = (
    f"public, max-age=0, s-maxage={PAGE_CACHE_SECONDS}, stale-while-revalidate={PAGE_CACHE_SECONDS}"
)
PRIVATE = "private, no-cache"
_PUBLIC_MARK = "_civic_public_page"

# A query string longer than this (a filter is a few words) is answered, never remembered.
_MEMO_QUERY_MAX = 512
_MEMO_MAX = 256
_MEMO: dict[tuple[str, ...], tuple[float, _Page]] = {}


@dataclass(frozen=True)
class _Page:
    content: bytes
    content_type: str
    etag: str
    disposition: str = ""  # a public document's file name (civic/pdf.py)


def is_anonymous_request(request: HttpRequest) -> bool:
    """No session cookie and no pending message: nothing in the request can make the page
    personal. (A stale session cookie makes a page private: it may still be a signed-in one.)"""
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and CookieStorage.cookie_name not in cookies


def page_memo_forget() -> None:
    """Drop this process's remembered pages (tests; nothing in production needs it)."""
    _MEMO.clear()


def public_page(
    view: Callable[..., HttpResponseBase] | None = None,
    *,
    version: Callable[..., str] | None = None,
) -> Any:
    """Mark a page that shows nothing personal to an anonymous visitor: cacheable by anyone, with
    a strong ETag and 304s. Signed-in visitors get the same view, `private`.

    `version(request, *args, **kwargs)`: a cheap token of what the page shows that can change
    faster than the memo forgets (the count version of petitions/selectors/counts.py); the
    remembered page is then keyed on it too, so it changes in every process as soon as it does."""
    if view is None:
        return functools.partial(public_page, version=version)

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method not in ("GET", "HEAD") or not is_anonymous_request(request):
            personal = view(request, *args, **kwargs)
            personal["Cache-Control"] = PRIVATE
            return personal
        # Never read the session: the visitor has none, and reading it would add Vary: Cookie.
        request.user = AnonymousUser()
        key = _memo_key(request)
        if key is not None and version is not None:
            key = (*key, version(request, *args, **kwargs))
        page = _memo_get(key)
        if page is None:
            rendered = view(request, *args, **kwargs)
            if (
                rendered.status_code != 200
                or rendered.streaming
                or rendered.cookies
                or not isinstance(rendered, HttpResponse)
            ):
                return rendered  # an error, a redirect: private (PageCacheMiddleware)
            page = _Page(
                rendered.content,
                rendered["Content-Type"],
                _etag(rendered.content),
                rendered.headers.get("Content-Disposition", ""),
            )
            _memo_put(key, page)
        response: HttpResponse
        if etag_matches(request.headers.get("If-None-Match", ""), page.etag):
            response = HttpResponseNotModified()
        else:
            response = HttpResponse(page.content, content_type=page.content_type)
            if page.disposition:
                response["Content-Disposition"] = page.disposition
        response["ETag"] = page.etag
        response["Cache-Control"] = PUBLIC
        setattr(response, _PUBLIC_MARK, True)
        return response

    return wrapper


def etag_matches(header: str, etag: str) -> bool:
    """RFC 9110 weak comparison for If-None-Match; anything malformed simply does not match."""
    if len(header) > 4096:
        return False
    tags = [tag.strip() for tag in header.split(",")]
    return "*" in tags or etag in tags or f"W/{etag}" in tags


def _etag(content: bytes) -> str:
    return '"' + hashlib.sha256(content).hexdigest()[:32] + '"'


def _memo_key(request: HttpRequest) -> tuple[str, ...] | None:
    query = request.META.get("QUERY_STRING", "")
    if len(query) > _MEMO_QUERY_MAX or float(settings.PAGE_MEMO_SECONDS) <= 0:
        return None
    # The host and scheme too: a page may show absolute links built from the request.
    return (request.scheme or "", request.get_host(), request.path, query, get_language() or "")


def _memo_get(key: tuple[str, ...] | None) -> _Page | None:
    if key is None:
        return None
    entry = _MEMO.get(key)
    if entry is None or entry[0] <= time.monotonic():
        return None
    return entry[1]


def _memo_put(key: tuple[str, ...] | None, page: _Page) -> None:
    if key is None:
        return
    if len(_MEMO) >= _MEMO_MAX:
        _MEMO.clear()
    _MEMO[key] = (time.monotonic() + float(settings.PAGE_MEMO_SECONDS), page)


class PageCacheMiddleware:
    """Listed before the session middleware, so that it sees every page's answer last: a public
    page stays public only if nothing set a cookie or made it vary on Cookie; every other page is
    `private, no-cache`; an answer that starts or ends a session clears the browser's cache."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if not is_page_path(request.path_info):
            return response
        if getattr(response, _PUBLIC_MARK, False):
            if response.cookies or not is_anonymous_request(request) or _varies_on_cookie(response):
                response["Cache-Control"] = PRIVATE
        elif "Cache-Control" not in response:
            response["Cache-Control"] = PRIVATE
        if settings.SESSION_COOKIE_NAME in response.cookies:
            response["Clear-Site-Data"] = '"cache"'
        return response


def _varies_on_cookie(response: HttpResponseBase) -> bool:
    vary = response.headers.get("Vary", "")
    return any(field.strip().lower() == "cookie" for field in cc_delim_re.split(vary))
