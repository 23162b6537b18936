"""Every periodic job of the toolkit, one commented line each (Celery beat reads it from settings).

Each job is a guarded update or an idempotent sweep: a late, repeated or doubled beat acts once.
"""

from __future__ import annotations

from celery.schedules import crontab


def beat_schedule(*, tick_seconds: float) -> dict[str, dict[str, object]]:
    return {
        # Re-send notifications whose delivery was lost (a killed worker, a broker restart).
        "notifications-sweep": {"task": "civic.tasks.sweep_notifications", "schedule": 120.0},
        # The daily digest of those who chose one (each held message claimed once, then sent).
        "notifications-digest": {
            "task": "civic.tasks.send_digests",
            "schedule": crontab(hour=18, minute=0),
        },
        # Domain events a subscriber has not handled yet (a worker died, a handler failed): again.
        "events-sweep": {"task": "civic.tasks.sweep_events", "schedule": 60.0},
        # Settled domain events older than civic.events.KEPT_FOR (90 days): deleted, in batches.
        "events-purge": {
            "task": "civic.tasks.purge_events",
            "schedule": crontab(hour=4, minute=10),
        },
        # Notifications older than NOTIFICATION_RETENTION_DAYS (delivered or failed): deleted.
        "notifications-purge": {
            "task": "civic.tasks.purge_notifications",
            "schedule": crontab(hour=4, minute=20),
        },
        # E-mail addresses behind audit pseudonyms unused for AUDIT_IDENTITY_RETENTION_DAYS: erased.
        "audit-identities-purge": {
            "task": "civic.tasks.purge_audit_identities",
            "schedule": crontab(hour=4, minute=30),
        },
        # Desk verification requests closed more than DESK_REQUEST_RETENTION_DAYS ago: deleted.
        "desk-requests-purge": {
            "task": "civic.tasks.purge_desk_requests",
            "schedule": crontab(hour=4, minute=40),
        },
        # Staff jobs over for more than STAFF_JOB_RETENTION_DAYS, exported files included: deleted.
        "staff-jobs-purge": {
            "task": "civic.tasks.purge_staff_jobs",
            "schedule": crontab(hour=4, minute=45),
        },
        # Webhook deliveries whose backoff has expired, or whose worker died mid-delivery.
        "webhooks-sweep": {"task": "civic.tasks.sweep_webhooks", "schedule": 30.0},
        # Verify the whole audit chain every hour; a broken link is logged as an error.
        "audit-verify-tail": {
            "task": "civic.tasks.verify_audit_tail",
            "schedule": crontab(minute=7),
        },
        # Publish the chain's head (and any new ballot box) outside the database, signed, daily.
        "audit-heads-publish": {
            "task": "civic.tasks.publish_audit_heads",
            "schedule": crontab(hour=0, minute=5),
        },
        # --- Initiatives
        # Close initiatives whose deadline passed (guarded UPDATE; the deadline itself is enforced at signing).
        "petitions-close-due": {"task": "petitions.tasks.close_due_initiatives", "schedule": 60.0},
        # Fold count slots into published counts, then act on rung crossings (each exactly once).
        "petitions-count-tick": {"task": "petitions.tasks.count_tick", "schedule": tick_seconds},
        # Safety net: crossings of every collecting initiative (should a worker die between fold and act).
        "petitions-trending-alerts": {"task": "petitions.tasks.trending_alerts", "schedule": 60.0},
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
        # Purge signers' identities once the initiative's retention period is over.
        "petitions-retention": {
            "task": "petitions.tasks.purge_signatures",
            "schedule": crontab(hour=3, minute=50),
        },
        # --- Referendums
        # Open campaigns, open and close votes on time (exactly once each; a late tick never lets a
        # ballot in after the close, the cast checks the time itself).
        "referendums-advance": {"task": "referendums.tasks.advance_campaigns", "schedule": 30.0},
        # Purge who voted and the frozen electorate once a campaign's retention period has passed.
        "referendums-purge": {
            "task": "referendums.tasks.purge_personal_data",
            "schedule": crontab(hour=3, minute=17),
        },
        # --- Assembly
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
        # --- Dashboards
        # Fold new figures into the public statistics documents, once per tick.
        "dashboards-stats-tick": {
            "task": "dashboards.tasks.stats_tick",
            "schedule": tick_seconds,
        },
        # Rebuild every statistics document from scratch, nightly (repairs any drift of the fold).
        "dashboards-documents-rebuild": {
            "task": "dashboards.tasks.documents_rebuild_all",
            "schedule": crontab(hour=3, minute=40),
        },
    }
