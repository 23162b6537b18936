"""The assembly's side of the domain events (see `civic.events`).

Published here, in the transaction of the change:
- `assembly.agenda_item_examined` {obligation_id, initiative_id, evidence_url, actor_id}: a session
  that examined an item from an initiative closed (`services.sessions.session_close`).
- `assembly.recommendation_referred` {recommendation_id, mandate_id, title, text, source_url,
  actor_id}: the clerk asked for a referendum draft from an adopted recommendation
  (`services.recommendations.recommendation_convert_to_referendum`).

Heard from the other instruments, below. Each handler is short and idempotent: it records what it
was told in the assembly's own tables and calls the assembly's own services. Among them,
`petitions.collection_changed` {initiative_id, change_id, moderation, title, ...}: an initiative's
agenda items follow its publication (`assembly.withdrawn`), in the order of `change_id` (the
petitions' per-initiative ordering stamp, kept in `InitiativePublication`): a stale event is ignored.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from assembly.models import SourceKind
from assembly.services.agenda_requests import (
    agenda_request_place,
    agenda_request_record,
    agenda_source_moderated,
)
from assembly.services.recommendations import (
    REFERENDUM_TARGET_KIND,
    recommendation_mark_converted,
)
from civic.errors import DomainError
from civic.events import Event, subscriber
from civic.models import User

logger = logging.getLogger(__name__)

AGENDA_OBLIGATION_KIND = "assembly_agenda"
REFERENDUM_ORIGIN_KIND = "assembly"
UNPUBLISHED = "unpublished"  # petitions' Moderation.UNPUBLISHED, as its events spell it


@subscriber("petitions.obligation_reached")
def initiative_reached_agenda_rung(event: Event) -> None:
    """An initiative reached the rung that puts it on the assembly's agenda: keep the request and
    place it on the next session with room now if there is one (else the periodic task will)."""
    payload = event.payload
    if payload["kind"] != AGENDA_OBLIGATION_KIND:
        return
    request = agenda_request_record(
        source_kind=SourceKind.INITIATIVE,
        source_id=payload["initiative_id"],
        obligation_id=payload["obligation_id"],
        title=payload["title"],
        url=payload["url"],
        requested_at=datetime.fromisoformat(payload["reached_at"]),
        initiator_user_ids=[int(pk) for pk in payload["initiator_user_ids"]],
    )
    agenda_request_place(request_id=request.pk)


@subscriber("petitions.collection_changed")
def initiative_publication_changed(event: Event) -> None:
    """An initiative was unpublished or reinstated (or its window moved): its item on the agenda
    shows "Initiative dépubliée" while it is unpublished, its title again once reinstated
    (`assembly.withdrawn`). Ordered by the payload's `change_id`: an event older than the last
    one applied for that initiative (redelivered, or overtaken on another worker) is ignored.
    Other changes leave the items as they are."""
    payload = event.payload
    if "moderation" not in payload:
        return  # an event published before the payload carried it (change_id came first)
    agenda_source_moderated(
        initiative_id=int(payload["initiative_id"]),
        withdrawn=payload["moderation"] == UNPUBLISHED,
        title=str(payload.get("title") or ""),
        change_id=int(payload["change_id"]),
    )


@subscriber("referendums.results_published")
def referendum_result_published(event: Event) -> None:
    """A referendum result is public: its follow-up goes on the agenda, once."""
    payload = event.payload
    # The title is stored with the agenda item: in the site's language, not the worker's.
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Suites du référendum : %(title)s") % {"title": payload["title"]}
    request = agenda_request_record(
        source_kind=SourceKind.REFERENDUM_RESULT,
        source_id=payload["campaign_id"],
        title=title,
        url=payload["url"],
        requested_at=event.created_at,
    )
    agenda_request_place(request_id=request.pk)


@subscriber("referendums.draft_created")
def referendum_draft_created(event: Event) -> None:
    """The draft consultation the clerk asked for exists: the recommendation is converted."""
    payload = event.payload
    if payload["origin_kind"] != REFERENDUM_ORIGIN_KIND:
        return
    actor_id = payload.get("actor_id")
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    try:
        recommendation_mark_converted(
            recommendation_id=payload["origin_id"],
            actor=actor,
            target_kind=REFERENDUM_TARGET_KIND,
            target_id=payload["campaign_id"],
        )
    except DomainError as exc:
        # Retrying would not change the answer (a recommendation already followed up, a draft
        # linked elsewhere): say so in the log, where the operators look.
        logger.warning(
            "assembly: draft %s for recommendation %s not recorded: %s",
            payload["campaign_id"],
            payload["origin_id"],
            exc.code,
        )
