"""Celery tasks: thin, idempotent, ids in; the services decide and guard."""

from __future__ import annotations

from celery import shared_task

from civic.queue import enqueue_mark_clear, enqueue_once
from petitions import services
from petitions.services.paper_jobs import paper_import_job_run


@shared_task
def close_due_initiatives() -> int:
    """Enqueue one close per due initiative that has none waiting already (the enqueue-once
    marker, config/celery.py); each close is a guarded UPDATE (acts once). Returns how many it
    enqueued."""
    return sum(enqueue_once(close_initiative, pk) for pk in services.initiatives_due_ids())


@shared_task(acks_late=True)
def close_initiative(initiative_id: int) -> bool:
    enqueue_mark_clear(close_initiative.name, initiative_id)
    return services.initiative_close(initiative_id=initiative_id)


@shared_task(acks_late=True)
def count_tick() -> dict[str, int]:
    return services.counts_tick()


@shared_task(acks_late=True)
def rungs_sweep() -> int:
    return services.rungs_sweep()


@shared_task(acks_late=True)
def recount() -> int:
    return len(services.counts_recount())


@shared_task(acks_late=True)
def remind() -> dict[str, int]:
    return {
        "closing_soon": services.initiatives_remind_closing(),
        "obligations_due_soon": services.obligations_remind_due(),
    }


@shared_task(acks_late=True)
def flag_overdue_obligations() -> int:
    return services.obligations_flag_overdue()


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_signers(initiative_id: int, kind: str) -> int:
    return services.signers_notify(initiative_id=initiative_id, kind=kind)


@shared_task(acks_late=True)
def purge_signatures() -> int:
    """Delete who signed once an initiative ended longer ago than its retention period."""
    return services.signatures_purge_due()


@shared_task(acks_late=True)
def run_invalidation(invalidation_id: int) -> int:
    return services.invalidation_run(invalidation_id=invalidation_id)


@shared_task(acks_late=True)
def undo_invalidation(invalidation_id: int) -> int:
    return services.invalidation_undo_run(invalidation_id=invalidation_id)


@shared_task(acks_late=True)
def trending_alerts() -> dict[str, int]:
    """Log a source past 100 signatures an hour on one initiative; alert moderators past 200."""
    return services.trending_alerts()


@shared_task(acks_late=True)
def run_paper_import(job_id: int) -> int:
    """A paper import job (petitions/services/paper_jobs.py): a redelivery resumes after the last
    committed batch, or finds the job over."""
    return paper_import_job_run(job_id=job_id)
