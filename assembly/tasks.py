"""Thin Celery tasks: ids in, a service call, idempotent (guarded updates inside the services).

The services never import this module: a service that hands work to a worker enqueues the task by
its name (`services.commitment.COMMITMENT_TASK`), so the import graph runs one way only.
"""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from assembly.models import (
    CommitmentJob,
    CommitmentJobStatus,
    MandateStatus,
    Session,
    SessionStatus,
)
from assembly.services.agenda_requests import agenda_requests_place
from assembly.services.commitment import COMMITMENT_JOB_STALE_AFTER, commitment_job_run
from assembly.services.recommendations import council_deadlines_remind
from assembly.services.sessions import session_publish_agenda, session_remind

REMIND_BEFORE = timedelta(hours=48)
# A job still pending after this long lost its message (the broker was down at enqueue time).
SWEEP_PENDING_AFTER = timedelta(minutes=5)


@shared_task(acks_late=True)
def place_initiatives() -> int:
    """Place the requests still waiting (initiatives at their assembly rung, referendum results)
    on the next session with room."""
    return agenda_requests_place()


@shared_task(acks_late=True)
def publish_agendas() -> int:
    """Publish each planned session's agenda `agenda_publication_days` before it starts."""
    now = timezone.now()
    due = [
        s.pk
        for s in Session.objects.filter(
            status=SessionStatus.PLANNED, mandate__status=MandateStatus.SEATED, starts_at__gt=now
        ).select_related("mandate")
        if s.starts_at - timedelta(days=s.mandate.agenda_publication_days) <= now
    ]
    for pk in due:
        publish_agenda.delay(pk)
    return len(due)


@shared_task(acks_late=True)
def publish_agenda(session_id: int) -> bool:
    return session_publish_agenda(session_id=session_id, actor=None)


@shared_task(acks_late=True)
def remind_members() -> int:
    now = timezone.now()
    ids = list(
        Session.objects.filter(
            status__in=[SessionStatus.PLANNED, SessionStatus.PUBLISHED],
            reminder_sent_at__isnull=True,
            starts_at__gt=now,
            starts_at__lte=now + REMIND_BEFORE,
        ).values_list("pk", flat=True)
    )
    for pk in ids:
        remind_session.delay(pk)
    return len(ids)


@shared_task(acks_late=True)
def remind_session(session_id: int) -> int:
    return session_remind(session_id=session_id)


@shared_task(acks_late=True)
def council_deadlines() -> int:
    return council_deadlines_remind()


@shared_task(acks_late=True)
def commitment_compute(job_id: int) -> str:
    """Publish the commitment a clerk asked for (idempotent: the job is claimed by a guarded update)."""
    return commitment_job_run(job_id=job_id)


@shared_task(acks_late=True)
def commitment_sweep() -> int:
    """Re-enqueue the jobs whose message was lost (still pending) or whose worker died (stale claim)."""
    now = timezone.now()
    ids = list(
        CommitmentJob.objects.filter(
            Q(status=CommitmentJobStatus.PENDING, requested_at__lt=now - SWEEP_PENDING_AFTER)
            | Q(
                status=CommitmentJobStatus.RUNNING,
                started_at__lt=now - COMMITMENT_JOB_STALE_AFTER,
            )
        ).values_list("pk", flat=True)
    )
    for pk in ids:
        commitment_compute.delay(pk)
    return len(ids)
