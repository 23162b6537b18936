"""The dashboards rows of the authorisation matrix (collected by tests/security/matrix.py once
"dashboards" is in its INSTRUMENT_APPS): every stats operation is public, the same for every role,
and no answer differs by who asks (documents carry no viewer-specific field)."""

from __future__ import annotations

from typing import Any

from tests.security.matrix import OK, Row, roles


def _published_initiative(world: Any) -> dict[str, Any]:
    """A collecting initiative with its documents built (the tick's work, done here)."""
    from dashboards.services import documents_rebuild
    from petitions.models import Initiative
    from tests.petitions.factories import InitiativeFactory

    initiative = Initiative.objects.filter(published_at__isnull=False).order_by("pk").first()
    if initiative is None:
        initiative = InitiativeFactory(collecting=True)
    documents_rebuild(initiative_ids=[initiative.pk])
    return {"id": initiative.pk}


def _city(world: Any) -> dict[str, Any]:
    from dashboards.services import documents_rebuild

    documents_rebuild()
    return {}


def _no_viewer_data(world: Any, role: str, body: Any) -> None:
    text = str(body)
    for email in [u.email for u in (world.user(r) for r in ("resident", "other_resident")) if u]:
        assert email not in text


MATRIX = {
    ("GET", "/api/v1/stats/city/"): Row(
        expect=roles(OK), params=_city, check=_no_viewer_data, note="public statistics"
    ),
    ("GET", "/api/v1/stats/initiatives/"): Row(
        expect=roles(OK), params=_city, check=_no_viewer_data, note="public statistics"
    ),
    ("GET", "/api/v1/stats/initiatives/{id}/"): Row(
        expect=roles(OK),
        params=lambda world: {"id": _published_initiative(world)["id"]},
        check=_no_viewer_data,
    ),
    ("GET", "/api/v1/stats/initiatives/{id}/signatures/"): Row(
        expect=roles(OK),
        params=lambda world: {"id": _published_initiative(world)["id"]},
        check=_no_viewer_data,
    ),
}
