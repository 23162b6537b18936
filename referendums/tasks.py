"""Thin Celery tasks: the beat calls them; they call services. No vote ever travels through here."""

from __future__ import annotations

from celery import shared_task

from referendums.services.campaigns import campaigns_advance, personal_data_purge_due


@shared_task(name="referendums.tasks.advance_campaigns", acks_late=True)
def advance_campaigns() -> dict[str, int]:
    # Idempotent: every transition is a guarded UPDATE that acts at most once.
    return campaigns_advance()


@shared_task(name="referendums.tasks.vacuum_after_close", acks_late=True)
def vacuum_after_close(campaign_id: int) -> None:
    # Dead versions of ballots and seals stay in the table files until the space is reused.
    from referendums.services.tally import tables_vacuum

    tables_vacuum()


@shared_task(name="referendums.tasks.purge_personal_data", acks_late=True)
def purge_personal_data() -> int:
    return personal_data_purge_due()


@shared_task(name="referendums.tasks.results_follow_up", acks_late=True)
def results_follow_up() -> int:
    """Results published in the last 90 days that the assembly could not yet place (no session
    with room at publication) get another try; placing is idempotent on the assembly's side."""
    from datetime import timedelta

    from django.utils import timezone

    from referendums.models import Campaign, CampaignStatus
    from referendums.services.campaigns import results_to_assembly_agenda

    recent = Campaign.objects.filter(
        status=CampaignStatus.RESULTS_PUBLISHED,
        published_at__gte=timezone.now() - timedelta(days=90),
    ).values_list("pk", flat=True)
    return sum(1 for pk in recent if results_to_assembly_agenda(campaign_id=pk) is not None)
