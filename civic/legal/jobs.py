"""Retention jobs of the core (Celery beat, config/beat.py). Each is one bounded, idempotent
statement per batch: two workers running it at once delete or erase each row once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from civic.legal.retention import core_days
from civic.models import (
    AuditIdentity,
    DeskRequest,
    Notification,
    NotificationStatus,
    StaffJob,
)


def _delete_in_batches(rows: QuerySet[Any], batch: int) -> int:
    """Delete `rows` `batch` ids at a time (short transactions, each batch once)."""
    deleted = 0
    while True:
        ids = list(rows.order_by("id").values_list("id", flat=True)[:batch])
        if not ids:
            return deleted
        deleted += rows.model.objects.filter(pk__in=ids).delete()[0]


def notifications_purge(*, batch: int = 5000) -> int:
    """Delete notifications older than the period, except those still being delivered."""
    cutoff = timezone.now() - timedelta(days=core_days("notifications"))
    rows = Notification.objects.filter(created_at__lt=cutoff).exclude(
        status__in=[NotificationStatus.PENDING, NotificationStatus.SENDING]
    )
    return _delete_in_batches(rows, batch)


def audit_identities_purge() -> int:
    """Erase the e-mail behind each audit pseudonym unused for longer than the period. The entries
    keep the pseudonym (the chain hashed it, not the address): the chain still verifies."""
    cutoff = timezone.now() - timedelta(days=core_days("audit_identities"))
    deleted, _by_model = AuditIdentity.objects.filter(last_seen_at__lt=cutoff).delete()
    return deleted


def desk_requests_purge(*, batch: int = 5000) -> int:
    """Delete desk requests closed longer ago than the period (reason, outcome and the note to the
    resident go with them); an open request waits for the desk whatever its age."""
    cutoff = timezone.now() - timedelta(days=core_days("desk_requests"))
    return _delete_in_batches(DeskRequest.objects.filter(closed_at__lt=cutoff), batch)


def staff_jobs_purge(*, batch: int = 500) -> int:
    """Delete staff jobs over for longer than the period, their files with them (an export's copy
    of the data, an import's outcome); a job still running waits whatever its age."""
    cutoff = timezone.now() - timedelta(days=core_days("staff_jobs"))
    return _delete_in_batches(StaffJob.objects.filter(finished_at__lt=cutoff), batch)
