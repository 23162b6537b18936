"""What the page views share: the current user, the visible initiative, running a service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest

from civic.errors import DomainError, NotFound
from civic.models import User
from petitions import selectors
from petitions.models import TOTAL_TRACK, Initiative, PaperRejectionReason


def user_of(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def visible_or_404(request: HttpRequest, pk: int) -> Initiative:
    try:
        return selectors.initiative_get(initiative_id=pk, viewer=request.user)
    except NotFound:
        raise Http404 from None


def run_service(request: HttpRequest, success: str, action: Callable[[], Any]) -> bool:
    """Run a service; a domain refusal becomes a message (never a 500)."""
    try:
        action()
    except DomainError as exc:
        detail = str(exc.detail)
        messages.error(request, f"{detail} ({exc.rule})" if exc.rule else detail)
        return False
    messages.success(request, success)
    return True


def summary_row(initiative: Initiative) -> dict[str, Any]:
    counts = selectors.counts_of(initiative)
    return {
        "initiative": initiative,
        "signatures": counts.get(TOTAL_TRACK),
        "tracks": [(t, counts.get(t.position)) for t in initiative.tracks.all()],
    }


def rejection_rows(initiative_id: int) -> list[tuple[str, int]]:
    counts = selectors.paper_rejection_counts(initiative_id=initiative_id)
    return [(str(r.label), counts[r.value]) for r in PaperRejectionReason if counts.get(r.value)]
