"""Helpers shared by the services: locks, snapshots for the audit log, notifications."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.db import connection

from civic.models import User
from civic.notifications import notify
from civic.roles import Role
from referendums.models import Campaign

# One advisory lock key space per campaign: casts take it shared, the close takes it exclusive, so
# the close waits for casts in flight and no cast slips in after the seals are destroyed. Advisory
# locks live in the lock manager: unlike a row lock they write nothing to the campaign's tuple.
LOCK_NAMESPACE = 0x52_45_46  # "REF"


def lock_key(campaign_id: int) -> int:
    """PostgreSQL's two-key advisory locks take 32-bit integers: larger ids fold into that range
    (two campaigns sharing a key only wait for each other, which is safe)."""
    return campaign_id % 2_147_483_647


def campaign_lock(campaign_id: int, *, shared: bool) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite has one writer at a time
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s, %s)", [LOCK_NAMESPACE, lock_key(campaign_id)])


# The clock's sweeps (campaigns_advance) claim a campaign under their own key space: a sweep that
# finds a campaign claimed leaves it to the one working on it and moves on to the next, instead of
# queueing behind it to find its step already taken. Only sweeps take these keys and they never wait
# for them, so no lock order with the campaign lock above or the campaign row is created.
SWEEP_NAMESPACE = 0x52_45_53  # "RES"


def campaign_sweep_claim(campaign_id: int) -> bool:
    """Try to claim the campaign for this sweep until the end of the current transaction. True if
    this transaction holds it (always on SQLite: one writer at a time)."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_xact_lock(%s, %s)", [SWEEP_NAMESPACE, lock_key(campaign_id)]
        )
        return bool(cursor.fetchone()[0])


def campaign_snapshot(campaign: Campaign) -> dict[str, Any]:
    return {
        "status": campaign.status,
        "kind": campaign.kind,
        "title_fr": campaign.title_fr,
        "campaign_opens_at": campaign.campaign_opens_at,
        "voting_opens_at": campaign.voting_opens_at,
        "voting_closes_at": campaign.voting_closes_at,
    }


def notify_campaign_staff(campaign: Campaign, *, kind: str, subject: str, body: str) -> None:
    """The campaign's author and every campaign manager hear of each step."""
    recipients: dict[int, User] = {}
    group = Group.objects.filter(name=Role.CAMPAIGN_MANAGER).first()
    if group is not None:
        for user in User.objects.filter(groups=group, is_active=True):
            recipients[user.pk] = user
    if campaign.created_by_id and campaign.created_by_id not in recipients:
        author = User.objects.filter(pk=campaign.created_by_id, is_active=True).first()
        if author is not None:
            recipients[author.pk] = author
    url = f"/referendums/{campaign.pk}/"
    for user in recipients.values():
        notify(recipient=user, kind=kind, subject=subject, body=body, url=url)
