"""The label of a paper rejection's reason code, for a job's outcome stored as codes."""

from __future__ import annotations

from django import template

from petitions.models import PaperRejectionReason

register = template.Library()


@register.filter
def paper_reason(code: str) -> str:
    try:
        return str(PaperRejectionReason(code).label)
    except ValueError:
        return code
