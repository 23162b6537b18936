"""Rendered parts of a page that every visitor sees alike, kept by each web process.

A signed-in page cannot be shared whole (it holds the visitor's CSRF token, name and action), but
most of it is the same for everyone of one language: an initiative's text, counts, rungs and the
city's obligations. The page renders that part once, under a key made of what it shows (the
object's update stamp, the count version, the language, the date...), and reuses it for every
visitor, signed in or not, until the key changes or `PAGE_FRAGMENT_SECONDS` (one tick) pass.
Anything a visitor's own action can change is in the key, so nobody sees their change late; the
time limit bounds what is not (an administrator renaming a district).

`kept_page` goes one step further for the pages a crowd of residents reads signed in: the whole
page is kept per *kind of visitor* (the key names everything the page shows about the visitor:
verified or not, what they may do there), with two slots filled for each request: the CSRF token
(a freshly masked one, as `{% csrf_token %}` gives, in every form of the page) and the visitor's
pending messages. The frame (header, menu, footer) and the action area are then rendered once per
kind of visitor, not once per view.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Hashable
from typing import TypeVar

from django.conf import settings
from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

T = TypeVar("T")

_MAX = 512
_KEPT: dict[Hashable, tuple[float, object]] = {}
_PAGES_MAX = 1024
_PAGES: dict[Hashable, tuple[float, tuple[str, bytes]]] = {}

# The slots of a kept page: NUL never comes out of a template (form input refuses it).
_CSRF_SLOT = b"\x00civic-csrf\x00"
_MESSAGES_SLOT = "\x00civic-messages\x00"
# What `{% csrf_token %}` renders (django.template.defaulttags.CsrfTokenNode): the value only.
_CSRF_VALUE = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*(")')


def fragment(key: Hashable, build: Callable[[], T]) -> T:
    """The value kept under `key`, or `build()`'s, kept for `PAGE_FRAGMENT_SECONDS` (0: never)."""
    seconds = float(settings.PAGE_FRAGMENT_SECONDS)
    if seconds <= 0:
        return build()
    now = time.monotonic()
    entry = _KEPT.get(key)
    if entry is not None and entry[0] > now:
        return entry[1]  # type: ignore[return-value]
    value = build()
    if len(_KEPT) >= _MAX:
        _KEPT.clear()
    _KEPT[key] = (now + seconds, value)
    return value


def kept_page(
    request: HttpRequest, key: Hashable, render: Callable[[SafeString | None], HttpResponse]
) -> HttpResponse:
    """The page kept under `key` for this kind of visitor, its CSRF token and messages filled in
    for this request; else `render(messages_slot)`'s, kept (`PAGE_FRAGMENT_SECONDS`, 0: never).

    `render` renders the page whole; the base template puts `messages_slot`, when given, where
    the messages go (civic/templates/base.html). Anything but a plain 200 is returned as is and
    not kept. The key must name everything the page shows that may differ between visitors."""
    seconds = float(settings.PAGE_FRAGMENT_SECONDS)
    if seconds <= 0:
        return render(None)
    now = time.monotonic()
    entry = _PAGES.get(key)
    if entry is not None and entry[0] > now:
        content_type, body = entry[1]
    else:
        rendered = render(mark_safe(_MESSAGES_SLOT))  # noqa: S308 - a constant
        if rendered.status_code != 200 or rendered.streaming or rendered.cookies:
            return rendered
        content_type = rendered["Content-Type"]
        body = _CSRF_VALUE.sub(rb"\1" + _CSRF_SLOT + rb"\2", rendered.content)
        if len(_PAGES) >= _PAGES_MAX:
            _PAGES.clear()
        _PAGES[key] = (now + seconds, (content_type, body))
    if _CSRF_SLOT in body:
        body = body.replace(_CSRF_SLOT, get_token(request).encode())
    body = body.replace(_MESSAGES_SLOT.encode(), _messages_html(request).encode())
    return HttpResponse(body, content_type=content_type)


def _messages_html(request: HttpRequest) -> str:
    """The visitor's pending messages as the base template shows them (and so marked as read)."""
    pending = get_messages(request)
    if not pending:
        return ""
    # Without the request: the messages need no context processor (those cost more than this).
    return render_to_string("civic/_messages.html", {"messages": pending})


def fragments_forget() -> None:
    """Drop this process's kept fragments and pages (tests; nothing in production needs it)."""
    _KEPT.clear()
    _PAGES.clear()
