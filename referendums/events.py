"""Domain events the referendums app publishes, and its subscribers to other apps' events.

Published (in the transaction of the change):
- `referendums.draft_created` {campaign_id, origin_kind, origin_id, actor_id}: a draft consultation
  was made from another instrument (services/campaigns/drafts.py).
- `referendums.results_published` {campaign_id, title, url}: a result was published
  (services/campaigns/transitions.py).

Received:
- `assembly.recommendation_referred` {recommendation_id, mandate_id, title, text, source_url,
  actor_id}: the clerk turned an adopted recommendation into a referendum draft.
"""

from __future__ import annotations

import logging

from civic.errors import PermissionDenied
from civic.events import Event, subscriber
from civic.models import User
from referendums.services.campaigns import campaign_draft_from_recommendation

logger = logging.getLogger(__name__)


@subscriber("assembly.recommendation_referred")
def draft_from_recommendation(event: Event) -> None:
    """Make the draft consultation, once per recommendation (a repeated delivery creates
    nothing). An actor who may not start it gets nothing made: retrying would not change that."""
    payload = event.payload
    actor_id = payload.get("actor_id")
    actor = User.objects.filter(pk=actor_id).first() if actor_id is not None else None
    try:
        if actor is None:
            raise PermissionDenied("unknown actor")
        campaign_draft_from_recommendation(
            recommendation_id=int(payload["recommendation_id"]),
            title=payload["title"],
            text=payload["text"],
            source_url=payload["source_url"],
            actor=actor,
        )
    except PermissionDenied:
        logger.warning(
            "event %s: recommendation %s referred by actor %s, who may not start a draft",
            event.id,
            payload.get("recommendation_id"),
            payload.get("actor_id"),
        )
