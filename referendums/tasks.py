"""Thin Celery tasks: the beat calls them; they call services. No vote ever travels through here."""

from __future__ import annotations

from celery import shared_task

from referendums import store
from referendums.services.campaigns import campaigns_advance, personal_data_purge_due


@shared_task(name="referendums.tasks.advance_campaigns", acks_late=True)
def advance_campaigns() -> dict[str, int]:
    # Idempotent: every transition is a guarded UPDATE that acts at most once.
    return campaigns_advance()


@shared_task(name="referendums.tasks.vacuum_after_close", acks_late=True)
def vacuum_after_close(campaign_id: int) -> None:
    # Dead versions of ballots and seals stay in the table files until the space is reused.
    store.tables_vacuum()


@shared_task(name="referendums.tasks.purge_personal_data", acks_late=True)
def purge_personal_data() -> int:
    return personal_data_purge_due()
