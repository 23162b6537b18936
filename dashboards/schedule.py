from __future__ import annotations

import os

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Fold signatures into the hourly and district aggregates and rebuild the stats documents.
    "dashboards-stats-tick": {
        "task": "dashboards.tasks.stats_tick",
        "schedule": float(os.environ.get("CIVIC_TICK_SECONDS", "60")),
    },
    # Nightly: rebuild every initiative's documents (closed ones included).
    "dashboards-documents-rebuild": {
        "task": "dashboards.tasks.documents_rebuild_all",
        "schedule": crontab(hour=3, minute=40),
    },
}
