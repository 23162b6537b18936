"""Beat jobs of the petitions app (merged into CELERY_BEAT_SCHEDULE by civic.settings). Plain data."""

from __future__ import annotations

from celery.schedules import crontab

from civic.env import env_int

# The count tick: published counts lag signatures by at most this (the count API's max-age too).
COUNT_TICK_SECONDS = float(env_int("CIVIC_TICK_SECONDS", 60, minimum=1))

BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Close initiatives whose deadline passed (guarded UPDATE; the deadline itself is enforced at signing).
    "petitions-close-due": {"task": "petitions.tasks.close_due_initiatives", "schedule": 60.0},
    # Fold count slots into published counts, then act on rung crossings (each exactly once).
    "petitions-count-tick": {"task": "petitions.tasks.count_tick", "schedule": COUNT_TICK_SECONDS},
    # Safety net: crossings of every collecting initiative (should a worker die between fold and act).
    "petitions-rungs-sweep": {"task": "petitions.tasks.rungs_sweep", "schedule": 600.0},
    # "7 days left" once per initiative, and obligations due within 3 days, once each.
    "petitions-remind": {"task": "petitions.tasks.remind", "schedule": crontab(minute=15)},
    # Recount open initiatives from their signatures; repair and audit any drift.
    "petitions-recount": {
        "task": "petitions.tasks.recount",
        "schedule": crontab(hour=3, minute=30),
    },
    # Flag open obligations past their due date (audited, notified, shown publicly).
    "petitions-overdue": {
        "task": "petitions.tasks.flag_overdue_obligations",
        "schedule": crontab(minute=45),
    },
    # Delete who signed once an initiative ended longer ago than its instruments' retention period
    # (counts, rungs and obligations stay).
    "petitions-retention": {
        "task": "petitions.tasks.purge_signatures",
        "schedule": crontab(hour=3, minute=50),
    },
}
