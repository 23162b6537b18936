"""Beat jobs of the assembly (merged into CELERY_BEAT_SCHEDULE by settings). Plain data only."""

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Place initiatives that reached their assembly rung on the next session with room.
    "assembly-place-initiatives": {
        "task": "assembly.tasks.place_initiatives",
        "schedule": crontab(minute="*/15"),
    },
    # Publish agendas `agenda_publication_days` before each session.
    "assembly-publish-agendas": {
        "task": "assembly.tasks.publish_agendas",
        "schedule": crontab(minute=5),
    },
    # Remind members 48 hours before a session (once per session).
    "assembly-remind-members": {
        "task": "assembly.tasks.remind_members",
        "schedule": crontab(minute=20),
    },
    # Commitment jobs whose message was lost or whose worker died: enqueue them again.
    "assembly-commitment-sweep": {
        "task": "assembly.tasks.commitment_sweep",
        "schedule": crontab(minute="*/5"),
    },
    # Council answers due within 14 days, then overdue: tell the clerks (once each).
    "assembly-council-deadlines": {
        "task": "assembly.tasks.council_deadlines",
        "schedule": crontab(hour=8, minute=0),
    },
}
