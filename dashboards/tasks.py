from __future__ import annotations

from celery import shared_task

from dashboards import services
from dashboards.export_jobs import staff_export_job_run


@shared_task(ignore_result=True)
def stats_tick() -> dict[str, int]:
    """Fold new signatures and withdrawals into the aggregates, then rebuild changed documents."""
    return services.stats_tick()


@shared_task(ignore_result=True)
def documents_rebuild_all() -> int:
    """Safety net: rebuild every published initiative's documents (unchanged ones keep their ETag)."""
    return services.documents_rebuild(everything=True)


@shared_task(acks_late=True)
def run_staff_export(job_id: int) -> int:
    """A staff export job (dashboards/export_jobs.py): a redelivery writes the file afresh, or
    finds the job over."""
    return staff_export_job_run(job_id=job_id)
