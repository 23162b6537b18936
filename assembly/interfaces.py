"""The stable interface other apps (and the lead's wiring) call. Nothing else here is a contract.

- `referendum_result_to_agenda`: put a referendum result on the assembly's agenda for follow-up,
  once per referendum and mandate (the referendums app calls it after publishing a verdict).
- `recommendation_mark_converted`: record that a referendum campaign draft was made from an
  assembly recommendation (kind + id; the referendums app owns the draft).
- `recommendations_open`: recommendations the assembly adopted that still await a follow-up.
"""

from __future__ import annotations

from dataclasses import dataclass

from assembly.models import Mandate, MandateStatus, Recommendation, RecommendationStatus, SourceKind
from assembly.services.recommendations import recommendation_mark_converted
from assembly.services.sessions import agenda_item_add, next_session_with_room
from civic.errors import Conflict

__all__ = [
    "OpenRecommendation",
    "recommendation_mark_converted",
    "recommendations_open",
    "referendum_result_to_agenda",
]


def referendum_result_to_agenda(
    *, referendum_id: int, title: str, url: str, duration_minutes: int | None = None
) -> int | None:
    """Place the result on the next session with room of the seated assembly. Returns the agenda
    item id, or None when there is no seated assembly, no session with room, or it is already
    placed (idempotent: call it again later, e.g. from a periodic task)."""
    mandate = (
        Mandate.objects.filter(status=MandateStatus.SEATED).order_by("-starts_on", "-id").first()
    )
    if mandate is None:
        return None
    minutes = duration_minutes or mandate.initiative_item_minutes
    session = next_session_with_room(mandate, minutes)
    if session is None:
        return None
    try:
        item = agenda_item_add(
            session_id=session.pk,
            actor=None,
            title=title,
            duration_minutes=minutes,
            source_kind=SourceKind.REFERENDUM_RESULT,
            source_id=referendum_id,
            source_url=url,
        )
    except Conflict as exc:
        if exc.code in ("already_placed", "session_full"):
            return None
        raise
    return item.pk


@dataclass(frozen=True)
class OpenRecommendation:
    recommendation_id: int
    mandate_id: int
    title: str
    text: str
    url: str


def recommendations_open() -> list[OpenRecommendation]:
    from django.urls import reverse

    return [
        OpenRecommendation(
            recommendation_id=r.pk,
            mandate_id=r.mandate_id,
            title=r.title,
            text=r.text,
            url=reverse("assembly:recommendations", args=[r.mandate_id]) + f"#rec-{r.pk}",
        )
        for r in Recommendation.objects.filter(status=RecommendationStatus.ADOPTED).order_by("id")
    ]
