"""Reads of the published statistics: one indexed row per request, never a signature scan."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from civic.errors import NotFound
from civic.models import User
from dashboards.models import DocumentKind, StatsDocument


def document_get(*, kind: str, object_id: int = 0) -> StatsDocument:
    document = StatsDocument.objects.filter(kind=kind, object_id=object_id).first()
    if document is None:
        raise NotFound(_("Statistiques introuvables."), code="stats_not_found")
    return document


def initiative_documents() -> Any:
    return StatsDocument.objects.filter(kind=DocumentKind.INITIATIVE).order_by("-object_id")


def home_section(request: HttpRequest) -> dict[str, Any] | None:
    return None  # the dashboard is linked from the navigation, not listed as "open now"


def personal_data_export(*, user: User) -> dict[str, Any]:
    return {}  # aggregates only: nothing here is about one person
