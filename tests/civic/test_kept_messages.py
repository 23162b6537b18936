"""The messages a kept page fills in (civic.fragments): the template's markup, kept by what it
shows, the text escaped unless the site marked it safe, each request's own messages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest
from django.test import RequestFactory
from django.utils.safestring import mark_safe

from civic import fragments


def _request(*texts: str) -> HttpRequest:
    request = RequestFactory().get("/")
    request._messages = CookieStorage(request)  # type: ignore[attr-defined]
    for text in texts:
        messages.success(request, text)
    return request


def test_the_same_text_shows_alike_escaped_and_each_request_reads_its_own() -> None:
    fragments.fragments_forget()
    first = fragments._messages_html(_request("<b>Signée</b>"))
    assert "&lt;b&gt;Signée&lt;/b&gt;" in first and "message-success" in first
    assert fragments._messages_html(_request("<b>Signée</b>")) == first
    other = fragments._messages_html(_request("Retirée", "Autre"))
    assert "Retirée" in other and "Autre" in other and "Signée" not in other
    assert fragments._messages_html(_request()) == ""


def test_a_text_marked_safe_is_not_the_escaped_one_and_reading_marks_them_used() -> None:
    fragments.fragments_forget()
    plain = _request("<b>Signée</b>")
    fragments._messages_html(plain)
    assert plain._messages.used  # type: ignore[attr-defined]
    safe = fragments._messages_html(_request(mark_safe("<b>Signée</b>")))
    assert "<b>Signée</b>" in safe
