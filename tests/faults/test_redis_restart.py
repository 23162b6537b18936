"""Redis shut down without saving in the middle of a batch (every queued and unacknowledged message
is gone), then restarted: once it is back, the beat's sweeps re-enqueue from the database and
nothing is lost or done twice. Redis is always restarted, and each outage lasts ~2 seconds."""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from civic.models import Notification, NotificationStatus
from civic.notifications import STALE_AFTER
from tests.faults.scenario import Batches, beat_tick, expire_enqueue_markers, recover
from tests.worker import wait_until

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

OUTAGE_SECONDS = 2.0


def test_a_redis_restart_mid_batch_loses_nothing_once_it_is_back(
    faults_enabled, redis_outage, real_worker
):
    outages = max(1, int(os.environ.get("FAULT_REDIS_RESTARTS", "1")))
    batches = Batches()
    real_worker.start(concurrency=2)
    lost_in_flight = 0
    for _ in range(outages):
        batches.add(due=15, crossing=8, campaigns=2)
        before = batches.pending()
        beat_tick()
        wait_until(lambda before=before: batches.pending() != before, timeout=60, interval=0.05)
        with redis_outage.down():
            time.sleep(OUTAGE_SECONDS)
            # The worker goes on with what it holds; the rest of the queue is gone.
        if any(batches.pending().values()):
            lost_in_flight += 1
    # Rows whose delivery message died with Redis: the sweep finds them once they are stale, and
    # once the enqueue-once markers expired (in CI the cache is on the same Redis: they died too).
    Notification.objects.filter(status=NotificationStatus.PENDING).update(created_at=_stale())
    expire_enqueue_markers(batches)
    recover(batches)
    figures = batches.check(real_worker)
    figures.update(
        redis_restarts=outages,
        restarted_with_work_pending=lost_in_flight,
        seconds_down=round(redis_outage.seconds_down, 1),
    )
    print("\nFAULTS redis-restart " + json.dumps(figures))
    assert figures["restarted_with_work_pending"] >= 1, "the outage must land mid-batch"
    assert figures["mail_copies_with_a_repeated_message_id"] == 0  # no worker died


def _stale() -> datetime:
    return timezone.now() - STALE_AFTER - timedelta(seconds=1)
