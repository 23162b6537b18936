"""What the public reads of an initiative in a template (rules.public_title: an unpublished
initiative shows "Initiative dépubliée", never its title)."""

from __future__ import annotations

from typing import Any

from django import template

from petitions.rules import public_title as _public_title

register = template.Library()


@register.filter
def public_title(initiative: Any) -> str:
    return _public_title(initiative)
