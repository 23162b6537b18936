"""Two Celery queues: the clock's work, and bulk work that may wait.

The count tick (the fold that publishes the counts a page shows), deadlines (closing initiatives,
opening and closing votes), rung crossings and the domain events' dispatch stay on the default
queue (`CELERY_TASK_DEFAULT_QUEUE`, "celery"). Work whose size grows with the number of residents
(notification and e-mail delivery, digests, webhooks, purges, recounts, invalidations, rebuilds,
scans) goes to the bulk queue, named after the default one ("celery-bulk"): a rung reached on a
viral initiative then e-mails its tens of thousands of followers without the next count tick
waiting behind them.

Both queues are declared (`CELERY_TASK_QUEUES`), so a worker started without `-Q` consumes both:
one worker is a whole deployment. A larger one runs a worker on each queue
(`-Q celery` and `-Q celery-bulk`, docs/deploy.md), on as many machines as it likes: every task is
idempotent and acknowledged late. A task not listed here runs on the default queue.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from celery import current_app
from kombu import Queue

BULK_SUFFIX = "-bulk"

BULK_TASKS = frozenset(
    {
        # Notifications: one per recipient, or per batch of recipients, then the sweep and digest.
        "civic.tasks.deliver_notification",
        "civic.tasks.deliver_notifications",
        "civic.tasks.sweep_notifications",
        "civic.tasks.send_digests",
        # Webhooks: an outside server's speed is not ours.
        "civic.tasks.deliver_webhook",
        "civic.tasks.sweep_webhooks",
        # The audit chain's hourly check and daily publication, and the nightly purges.
        "civic.tasks.verify_audit_tail",
        "civic.tasks.publish_audit_heads",
        "civic.tasks.purge_events",
        "civic.tasks.purge_notifications",
        "civic.tasks.purge_audit_identities",
        "civic.tasks.purge_desk_requests",
        "civic.tasks.purge_staff_jobs",
        # Staff bulk actions (civic/jobs.py): imports and exports of whole files.
        "civic.tasks.run_register_import",
        "petitions.tasks.run_paper_import",
        "dashboards.tasks.run_staff_export",
        # Initiatives: messages to every signer, scans, recounts, invalidations, purges.
        "petitions.tasks.notify_signers",
        "petitions.tasks.remind",
        "petitions.tasks.trending_alerts",
        "petitions.tasks.recount",
        "petitions.tasks.run_invalidation",
        "petitions.tasks.undo_invalidation",
        "petitions.tasks.purge_signatures",
        # Referendums: after the close, and the retention purge.
        "referendums.tasks.vacuum_after_close",
        "referendums.tasks.purge_personal_data",
        # Assembly: reminders to members, commitment computations and their sweep.
        "assembly.tasks.remind_members",
        "assembly.tasks.remind_session",
        "assembly.tasks.commitment_compute",
        "assembly.tasks.commitment_sweep",
        # Dashboards: the nightly rebuild from scratch (the tick's fold stays on the default queue).
        "dashboards.tasks.documents_rebuild_all",
    }
)


def broker_transport_options(
    broker_url: str, queue_dir: Path, *, polling_interval: float
) -> dict[str, object]:
    """The embedded file-system transport's folders (created here), or Redis's redelivery delay."""
    if broker_url != "filesystem://":
        return {"visibility_timeout": 3600}
    for sub in ("queue", "processed", "control"):
        (queue_dir / sub).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(queue_dir / "queue"),
        "data_folder_out": str(queue_dir / "queue"),
        "processed_folder": str(queue_dir / "processed"),
        "control_folder": str(queue_dir / "control"),
        "store_processed": False,
        "polling_interval": polling_interval,
    }


def bulk_queue(default_queue: str) -> str:
    return f"{default_queue}{BULK_SUFFIX}"


def task_queues(default_queue: str) -> tuple[Queue, Queue]:
    """The queues a worker consumes when started without `-Q`: both."""
    return Queue(default_queue), Queue(bulk_queue(default_queue))


def worker_queues(default_queue: str) -> str:
    """The `-Q` argument of a worker that takes every queue."""
    return ",".join(queue.name for queue in task_queues(default_queue))


def route_task(name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **kw: Any) -> Any:
    """Celery's router (`CELERY_TASK_ROUTES`): bulk tasks to the bulk queue of the default queue
    in force when the task is sent (a test or a benchmark moves the default queue to a private
    one, and its bulk queue moves with it); every other task to the default queue."""
    if name not in BULK_TASKS:
        return None
    app = task.app if task is not None else current_app
    return {"queue": bulk_queue(app.conf.task_default_queue)}
