"""Helpers that build signing activity through the petitions services (never by hand)."""

from __future__ import annotations

from typing import Any

from civic.models import District
from petitions import services
from tests.factories import DistrictFactory, ResidentFactory


def district(code: str) -> District:
    found = District.objects.filter(code=code).first()
    return found or DistrictFactory(code=code, name=f"Quartier {code}")


def sign(initiative: Any, n: int, *, in_district: str = "centre") -> list[Any]:
    """n residents of `in_district` sign; returns the users."""
    place = district(in_district)
    users = []
    for _ in range(n):
        user = ResidentFactory(register_entry__district=place)
        services.signature_sign(initiative_id=initiative.pk, user=user)
        users.append(user)
    return users


def tick() -> dict[str, int]:
    """What the beat does each tick: the petitions fold, then this app's."""
    from dashboards.services import stats_tick

    services.counts_tick()
    return stats_tick()
