"""Beat jobs of the referendums app (merged into CELERY_BEAT_SCHEDULE by civic/settings.py)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Open campaigns, open and close votes on time (exactly once each; a late tick never lets a
    # ballot in after the close, the cast checks the time itself).
    "referendums-advance": {"task": "referendums.tasks.advance_campaigns", "schedule": 30.0},
    # Published results the citizens' assembly could not yet place on an agenda: try again daily.
    "referendums-results-follow-up": {
        "task": "referendums.tasks.results_follow_up",
        "schedule": crontab(hour=6, minute=41),
    },
    # Purge who voted and the frozen electorate once a campaign's retention period has passed.
    "referendums-purge": {
        "task": "referendums.tasks.purge_personal_data",
        "schedule": crontab(hour=3, minute=17),
    },
}
