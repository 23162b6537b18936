"""Celery tasks of the civic core: thin, idempotent, ids in."""

from __future__ import annotations

import logging

from celery import shared_task

from civic.audit import audit_verify
from civic.audit_heads import heads_publish
from civic.events import event_dispatch, event_enqueue, events_purge, events_stale_ids
from civic.legal.jobs import (
    audit_identities_purge,
    desk_requests_purge,
    notifications_purge,
    staff_jobs_purge,
)
from civic.notifications import (
    digests_send,
    notification_deliver,
    notification_enqueue,
    notifications_deliver,
    notifications_stale_ids,
)
from civic.services.register_jobs import register_import_job_run
from civic.webhooks import webhook_deliver, webhooks_due_ids

logger = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=6,
)
def deliver_notification(notification_id: int) -> bool:
    return notification_deliver(notification_id=notification_id)


@shared_task(
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=6,
)
def deliver_notifications(notification_ids: list[int]) -> int:
    """A broadcast's batch (civic.notifications.DELIVERY_BATCH): a retry resends only what
    is still unsent."""
    return notifications_deliver(notification_ids=notification_ids)


@shared_task
def sweep_notifications() -> int:
    return sum(notification_enqueue(notification_id=pk) for pk in notifications_stale_ids())


@shared_task(acks_late=True)
def send_digests() -> int:
    return digests_send()


@shared_task
def verify_audit_tail() -> bool:
    report = audit_verify()
    if not report.ok:
        logger.error("audit chain broken at entry #%s: %s", report.broken_at, report.reason)
    return report.ok


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=6)
def publish_audit_heads() -> int:
    """Daily and at each close of a vote: the chain's head and new ballot boxes, signed, appended
    to the heads file and e-mailed to the auditors (civic.audit_heads)."""
    return heads_publish()


@shared_task(acks_late=True)
def deliver_webhook(delivery_id: int) -> bool:
    # Retries are the outbox's (next_attempt_at + the sweep), not Celery's: they survive restarts.
    return webhook_deliver(delivery_id=delivery_id)


@shared_task
def sweep_webhooks() -> int:
    ids = webhooks_due_ids()
    for delivery_id in ids:
        deliver_webhook.delay(delivery_id)
    return len(ids)


@shared_task(acks_late=True)
def dispatch_event(event_id: int) -> int:
    # Each delivery is handled and marked done in one transaction: a redelivery repeats nothing.
    return event_dispatch(event_id=event_id)


@shared_task
def sweep_events() -> int:
    return sum(event_enqueue(event_id=pk) for pk in events_stale_ids())


@shared_task
def purge_events() -> int:
    return events_purge()


@shared_task
def purge_notifications() -> int:
    return notifications_purge()


@shared_task
def purge_audit_identities() -> int:
    return audit_identities_purge()


@shared_task
def purge_desk_requests() -> int:
    return desk_requests_purge()


@shared_task(acks_late=True)
def run_register_import(job_id: int) -> bool:
    """A register import job (civic/services/register_jobs.py): a redelivery finds it over."""
    return register_import_job_run(job_id=job_id)


@shared_task
def purge_staff_jobs() -> int:
    return staff_jobs_purge()
