"""`{% share_meta title description image %}`: the Open Graph and Twitter card tags of a public
page, so that a link shared on a social network or in a messaging app shows the page's title, a
short description and its share card (civic.share)."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.utils.text import Truncator
from django.utils.translation import get_language

register = template.Library()

_LOCALES = {"fr": "fr_FR", "en": "en_GB"}


@register.inclusion_tag("civic/_share_meta.html", takes_context=True)
def share_meta(context: dict[str, Any], title: str, description: str, image: str) -> dict[str, Any]:
    request = context["request"]
    return {
        "site_name": settings.CITY_NAME,
        "title": title,
        "description": Truncator(" ".join(str(description).split())).chars(200),
        # The page's own address without its query string: a shared link names the page, not a
        # filter, and the bytes stay the same for every visitor (civic.http_cache).
        "url": request.build_absolute_uri(request.path),
        "image": request.build_absolute_uri(image),
        "locale": _LOCALES.get((get_language() or "fr")[:2], "fr_FR"),
    }
