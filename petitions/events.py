"""Domain events of the petitions app.

Published (in the transaction of the change):
- `petitions.obligation_reached` (services/counting.py, when a rung creates an obligation):
  {obligation_id, initiative_id, kind, title, url, reached_at (ISO), initiator_user_ids (the
  initiator first, then the promoters who co-signed)}.
- `petitions.counts_folded` (services/counting.py, once per fold that moved counts):
  {initiative_ids, folded_at (ISO)}.
- `petitions.collection_changed` (services/collection.py, each moderation or collection-window
  change): {initiative_id, change_id, kind, moderation (after the change: public | suspended |
  unpublished), title (to restore a copy on reinstatement), initiator_user_ids}. Those who keep a copy of the initiative's title (the
  assembly's agenda, the dashboards' documents) follow `moderation` to show it or not.

Subscribed:
- `assembly.agenda_item_examined`: the assembly examined an initiative it had on its agenda; the
  obligation that put it there is done.
- `civic.registration_annulled`: a registration was annulled; its signatures leave the count with
  the public reason "registration annulled".
"""

from __future__ import annotations

from datetime import datetime

from civic.events import Event, subscriber
from petitions.services.annulments import signatures_annul_for_entry
from petitions.services.obligations import obligation_complete_examined


@subscriber("assembly.agenda_item_examined")
def complete_examined_obligation(event: Event) -> None:
    """Idempotent: an obligation already done (a repeated delivery) is left as it is."""
    obligation_complete_examined(
        obligation_id=int(event.payload["obligation_id"]),
        actor_id=int(event.payload["actor_id"]),
        evidence=str(event.payload["evidence_url"]),
    )


@subscriber("civic.registration_annulled")
def annul_signatures(event: Event) -> None:
    """Idempotent: a repeated delivery finds no signature left to remove."""
    signatures_annul_for_entry(
        register_entry_id=int(event.payload["register_entry_id"]),
        at=datetime.fromisoformat(str(event.payload["at"])),
    )
