"""Batches of due work (deadlines, threshold crossings, vote openings and closes) and the checks that
each transition happened exactly once and each notification left exactly once, whatever was killed."""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Count
from django.utils import timezone

from civic.models import AuditEntry, District, Notification, NotificationStatus
from civic.notifications import STALE_AFTER
from civic.queue import enqueue_mark_clear
from config.celery import app as celery_app
from petitions.models import Initiative, InitiativeCount, Obligation, Status, TrackRung
from referendums.models import Campaign, CampaignStatus
from tests.factories import DistrictFactory
from tests.petitions.factories import InitiativeFactory
from tests.referendums.factories import CampaignFactory
from tests.worker import Worker

# What the beat would enqueue: the deadline, threshold, vote and notification sweeps.
SWEEPS = (
    "petitions.tasks.close_due_initiatives",
    "petitions.tasks.rungs_sweep",
    "referendums.tasks.advance_campaigns",
    "civic.tasks.sweep_notifications",
)


CITY_DISTRICTS = 12


def beat_tick() -> None:
    for name in SWEEPS:
        celery_app.send_task(name)


@dataclass
class Batches:
    due: list[int] = field(default_factory=list)  # initiatives past their deadline
    crossing: list[int] = field(default_factory=list)  # initiatives whose count crossed rungs
    campaigns: list[int] = field(default_factory=list)  # votes due to open and close
    killed_mid_batch: int = 0
    kills: int = 0
    districts: list[District] = field(default_factory=list)

    def _initiative(self) -> int:
        # The register spreads over a city's dozen districts, not one district per resident (the
        # factories' default): a vote opening creates its turnout slots per district, and 1,000
        # districts made every opening insert 16,000 rows (a million by the 60th vote).
        if not self.districts:
            self.districts = [DistrictFactory() for _ in range(CITY_DISTRICTS)]
        district = self.districts[len(self.due + self.crossing) % CITY_DISTRICTS]
        return InitiativeFactory(collecting=True, initiator__register_entry__district=district).pk

    def add(self, *, due: int, crossing: int, campaigns: int) -> tuple[list[int], list[int]]:
        past = timezone.now() - timedelta(minutes=1)
        new_due = [self._initiative() for _ in range(due)]
        Initiative.objects.filter(pk__in=new_due).update(
            submitted_at=past - timedelta(days=31),
            published_at=past - timedelta(days=30),
            closes_at=past,
        )
        new_crossing = [self._initiative() for _ in range(crossing)]
        # The fold already published a count over every threshold: the rungs are due.
        InitiativeCount.objects.filter(initiative_id__in=new_crossing).update(count=10**6)
        new_campaigns = [
            CampaignFactory(
                status=CampaignStatus.SCHEDULED,
                campaign_opens_at=past - timedelta(days=2),
                voting_opens_at=past - timedelta(hours=2),
                voting_closes_at=past,
            ).pk
            for _ in range(campaigns)
        ]
        self.due += new_due
        self.crossing += new_crossing
        self.campaigns += new_campaigns
        return new_due, new_crossing

    # --- progress ----------------------------------------------------------------------------

    def pending(self) -> dict[str, int]:
        return {
            "due": Initiative.objects.filter(pk__in=self.due, status=Status.COLLECTING).count(),
            "rungs": TrackRung.objects.filter(
                track__initiative_id__in=self.crossing, reached_at__isnull=True
            ).count(),
            "campaigns": Campaign.objects.filter(pk__in=self.campaigns)
            .exclude(status=CampaignStatus.CLOSED)
            .count(),
            "notifications": Notification.objects.exclude(status=NotificationStatus.SENT).count(),
        }

    def done(self) -> bool:
        return not any(self.pending().values())

    # --- the invariants ----------------------------------------------------------------------

    def check(self, worker: Worker) -> dict[str, Any]:
        figures: dict[str, Any] = {"kills": self.kills, "killed_mid_batch": self.killed_mid_batch}

        # Deadlines: each due initiative closed, with exactly one audit entry.
        closed = Counter(
            AuditEntry.objects.filter(
                verb="initiative.closed", target_type="petitions.initiative"
            ).values_list("target_id", flat=True)
        )
        assert not Initiative.objects.filter(pk__in=self.due).exclude(status=Status.CLOSED)
        assert {int(k): v for k, v in closed.items()} == dict.fromkeys(self.due, 1)
        figures["closes"] = len(self.due)

        # Thresholds: every crossing acted on once (one obligation, one audit entry per rung).
        rungs = TrackRung.objects.filter(track__initiative_id__in=self.crossing)
        assert rungs.exists()
        assert not rungs.filter(reached_at__isnull=True).exists()
        per_rung = Obligation.objects.filter(track_rung__in=rungs).values("track_rung")
        assert per_rung.count() == rungs.count()
        assert not per_rung.annotate(n=Count("id")).filter(n__gt=1).exists()
        reached = Counter(
            (int(target), json.dumps([after["track"], after["rung"]]))
            for target, after in AuditEntry.objects.filter(
                verb="initiative.rung_reached"
            ).values_list("target_id", "after")
        )
        expected = {
            (ini, json.dumps([pos, order])): 1
            for ini, pos, order in rungs.values_list(
                "track__initiative_id", "track__position", "order"
            )
        }
        assert dict(reached) == expected
        figures["crossings"] = len(expected)

        # Votes: scheduled -> campaign -> voting -> closed, one audit entry per step.
        assert not Campaign.objects.filter(pk__in=self.campaigns).exclude(
            status=CampaignStatus.CLOSED
        )
        steps = Counter(
            AuditEntry.objects.filter(
                verb__in=["referendum.campaign", "referendum.voting", "referendum.closed"],
                target_type="referendums.campaign",
            ).values_list("target_id", "verb")
        )
        assert dict(steps) == {
            (str(pk), verb): 1
            for pk in self.campaigns
            for verb in ("referendum.campaign", "referendum.voting", "referendum.closed")
        }
        figures["vote_steps"] = sum(steps.values())

        # Notifications: one row per person and event, each mailed; every Message-ID present.
        rows = Notification.objects.all()
        assert not rows.exclude(status=NotificationStatus.SENT).exists()
        closings = Counter(rows.filter(kind="petitions.closed").values_list("recipient_id", "url"))
        assert set(closings.values()) == {1}
        assert len(closings) == len(self.due)
        expected_ids = {
            f"<notification-{uid}@civic.invalid>" for uid in rows.values_list("uid", flat=True)
        }
        mailed = worker.message_ids()
        copies = Counter(mailed)
        assert set(copies) == expected_ids, "a notification was lost or an unknown one was sent"
        duplicates = sum(n - 1 for n in copies.values())
        figures["notifications"] = len(expected_ids)
        figures["mail_copies_with_a_repeated_message_id"] = duplicates
        return figures


def age_unclaimed_work(batches: Batches) -> int:
    """Let the clock pass for rows nobody holds (all workers are dead): what the sweep would
    find after STALE_AFTER or after a lease expired, and the enqueue-once markers expired (those
    of messages a killed worker had reserved, now in the broker's unacked set for an hour)."""
    now = timezone.now()
    expire_enqueue_markers(batches)
    pending = Notification.objects.filter(status=NotificationStatus.PENDING).update(
        created_at=now - STALE_AFTER - timedelta(seconds=1)
    )
    leased = Notification.objects.filter(status=NotificationStatus.SENDING).update(
        claimed_until=now - timedelta(seconds=1)
    )
    return pending + leased


def expire_enqueue_markers(batches: Batches) -> None:
    """What the enqueue-once markers' expiry does (config/celery.py): a sweep may enqueue again
    what it enqueued before, its message being lost (reserved by a killed worker, or gone with the
    broker when the cache lives elsewhere)."""
    for pk in batches.due:
        enqueue_mark_clear("petitions.tasks.close_initiative", pk)
    for pk in Notification.objects.values_list("pk", flat=True):
        enqueue_mark_clear("civic.tasks.deliver_notification", pk)


def recover(batches: Batches, *, stall: float = 90.0, cap: float = 1200.0) -> None:
    """Beat ticks every 5 s against a live worker until every due thing is done. Slow is not lost:
    it fails only if nothing moves for `stall` seconds (or after `cap`)."""
    started = last_move = time.monotonic()
    left = sum(batches.pending().values())
    while True:
        beat_tick()
        for _ in range(25):
            if batches.done():
                return
            time.sleep(0.2)
        now_left = sum(batches.pending().values())
        if now_left < left:
            left, last_move = now_left, time.monotonic()
        if time.monotonic() - last_move > stall or time.monotonic() - started > cap:
            raise AssertionError(
                f"work still pending after recovery: {batches.pending()}; "
                f"database sessions: {sessions()}"
            )


def sessions() -> list[tuple[Any, ...]]:
    """What the other sessions of this database wait on (to explain a stall)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, state, wait_event_type, wait_event, left(query, 120) "
            "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return list(cursor.fetchall())
