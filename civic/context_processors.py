from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url
from django.utils.translation import get_language, get_language_info

from civic.roles import is_staff_member


def site(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "CITY_NAME": settings.CITY_NAME,
        "is_staff_member": bool(user is not None and is_staff_member(user)),
        "language_links": _language_links(request),
    }


def _language_links(request: HttpRequest) -> list[dict[str, Any]]:
    """The same page in each language: plain links (the language is in the address), so the
    switch needs no form, no CSRF token and no cookie, and a cached page stays the same for all."""
    current = get_language()
    # A query string past any real filter's length is not carried over into every link.
    path = (
        request.get_full_path()
        if len(request.META.get("QUERY_STRING", "")) <= 1024
        else request.path
    )
    return [
        {
            "code": code,
            "name": get_language_info(code)["name_local"],
            "current": code == current,
            "url": path if code == current else translate_url(path, code),
        }
        for code, _name in settings.LANGUAGES
    ]
