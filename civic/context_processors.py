from functools import cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse, translate_url
from django.utils.text import format_lazy
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext_lazy as _

from civic.legal.services import legal_settings
from civic.roles import is_staff_member, roles_held
from civic.theme import theme_version

# The footer's legal links, by URL name: a page the city has not added yet is shown as plain text,
# so the link appears as soon as its route exists (no page is faked here).
LEGAL_LINKS = (
    ("legal-notice", _("Mentions légales")),
    ("accessibility", _("Accessibilité")),
    ("privacy", _("Données personnelles")),
    ("cookies", _("Cookies")),
    ("terms", _("Conditions d'utilisation")),
)


@cache
def _legal_urls(language: str | None) -> tuple[tuple[str | None, Any], ...]:
    """Per language: under /en/ the links lead to the English pages."""
    found = []
    for name, label in LEGAL_LINKS:
        try:
            url: str | None = reverse(name)
        except NoReverseMatch:
            url = None
        found.append((url, label))
    return tuple(found)


def _legal_links() -> list[tuple[str | None, Any]]:
    """The footer's links, the accessibility one carrying the statement's status (RGAA: "on every
    page"), read from the legal settings through the cache."""
    status = legal_settings().get_accessibility_status_display()
    label = format_lazy("{}{}", _("Accessibilité : "), status)
    return [
        (url, label if name == "accessibility" else text)
        for (name, _text), (url, text) in zip(LEGAL_LINKS, _legal_urls(get_language()), strict=True)
    ]


def site(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "CITY_NAME": settings.CITY_NAME,
        "CITY_LOGO": settings.CITY_LOGO,
        "THEME_VERSION": theme_version(),
        "LEGAL_LINKS": _legal_links(),
        "is_staff_member": bool(user is not None and is_staff_member(user)),
        # The roles held (every role for an administrator), so that a link shows only to those
        # its page lets in; read from the groups is_staff_member has already loaded.
        "staff_roles": roles_held(user) if user is not None else frozenset(),
        "language_links": _language_links(request),
        "OIDC_ENABLED": settings.OIDC_ENABLED,
        "OIDC_PROVIDER_NAME": settings.OIDC_PROVIDER_NAME,
        "OIDC_PROVIDER_INFO_URL": settings.OIDC_PROVIDER_INFO_URL,
        "STAFF_OIDC_ENABLED": settings.STAFF_OIDC_ENABLED,
        "STAFF_OIDC_PROVIDER_NAME": settings.STAFF_OIDC_PROVIDER_NAME,
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
