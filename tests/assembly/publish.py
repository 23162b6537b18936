"""The other instruments' events, published here as those apps publish them (the payloads of the
agreed contract), then delivered at once: the assembly's tests need neither app's code."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from civic.events import events_drain, publish


def obligation_reached(
    initiative_id: int,
    *,
    users: list[int],
    obligation_id: int | None = None,
    kind: str = "assembly_agenda",
    reached_at: datetime | None = None,
) -> None:
    publish(
        "petitions.obligation_reached",
        obligation_id=obligation_id or initiative_id + 1000,
        initiative_id=initiative_id,
        kind=kind,
        title=f"Initiative {initiative_id}",
        url=f"/initiatives/{initiative_id}/",
        reached_at=(reached_at or timezone.now()).isoformat(),
        initiator_user_ids=users,
    )
    events_drain()


def results_published(campaign_id: int, *, title: str = "Tramway") -> None:
    publish(
        "referendums.results_published",
        campaign_id=campaign_id,
        title=title,
        url=f"/referendums/{campaign_id}/results/",
    )
    events_drain()


def draft_created(
    campaign_id: int, *, origin_id: int, actor_id: int | None, origin_kind: str = "assembly"
) -> None:
    publish(
        "referendums.draft_created",
        campaign_id=campaign_id,
        origin_kind=origin_kind,
        origin_id=origin_id,
        actor_id=actor_id,
    )
    events_drain()
