"""Beat jobs of the referendums app (merged into CELERY_BEAT_SCHEDULE by civic/settings.py)."""

BEAT_SCHEDULE = {
    # Open campaigns, open and close votes on time (exactly once each; a late tick never lets a
    # ballot in after the close, the cast checks the time itself).
    "referendums-advance": {"task": "referendums.tasks.advance_campaigns", "schedule": 30.0},
}
