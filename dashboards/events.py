"""The dashboards' subscribers to the instruments' domain events."""

from __future__ import annotations

from civic.events import Event, subscriber
from dashboards.services import documents_refresh


@subscriber("petitions.counts_folded")
def refresh_counted_documents(event: Event) -> None:
    """E6: the petitions' count tick moved these initiatives' published counts. Their documents
    are rebuilt now, so the published totals follow within the count tick (the dashboards' own
    tick still folds the series and districts, and rebuilds what it finds changed). Idempotent:
    a document whose body did not change keeps its ETag."""
    documents_refresh(initiative_ids=[int(pk) for pk in event.payload["initiative_ids"]])


@subscriber("petitions.collection_changed")
def refresh_moderated_documents(event: Event) -> None:
    """An initiative was unpublished or reinstated (or its window moved): its documents are rebuilt
    now, so the dashboards show its title, or "Initiative dépubliée", as its page does. The figures
    stay. Idempotent: an unchanged body keeps its ETag."""
    documents_refresh(initiative_ids=[int(event.payload["initiative_id"])])
