"""Personal data of a vote (who voted, the frozen electorate) purged after the retention period."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from civic.audit import audit_record
from referendums.models import Campaign, CampaignStatus, ElectorateMember, Participation

S = CampaignStatus


def personal_data_purge_due() -> int:
    """Delete who voted (participations) and the frozen electorate of campaigns whose results
    were published more than `retention_days` ago. Counts live in the results and the turnout
    slots, ballots and receipts carry no identity: nothing published changes. Exactly once per
    campaign (guarded update on `personal_data_purged_at`)."""
    now = timezone.now()
    purged = 0
    for campaign in Campaign.objects.filter(
        status__in=[S.RESULTS_PUBLISHED, S.ARCHIVED],
        personal_data_purged_at__isnull=True,
        published_at__isnull=False,
    ).only("pk", "published_at", "retention_days"):
        assert campaign.published_at is not None
        if campaign.published_at + timedelta(days=campaign.retention_days) > now:
            continue
        with transaction.atomic():
            if not Campaign.objects.filter(
                pk=campaign.pk, personal_data_purged_at__isnull=True
            ).update(personal_data_purged_at=now):
                continue
            participations, _detail = Participation.objects.filter(campaign=campaign).delete()
            electors, _detail = ElectorateMember.objects.filter(campaign=campaign).delete()
            audit_record(
                actor=None,
                verb="referendum.personal_data_purge",
                target=campaign,
                after={"participations": participations, "electorate": electors},
            )
        purged += 1
    return purged
