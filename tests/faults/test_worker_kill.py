"""kill -9 the Celery worker in the middle of deadline, threshold, vote and notification batches,
FAULT_ROUNDS times: no transition lost or done twice, no notification lost or created twice."""

from __future__ import annotations

import contextlib
import json
import random

import pytest

from tests.faults.conftest import fault_rounds
from tests.faults.scenario import Batches, age_unclaimed_work, beat_tick, recover
from tests.worker import Worker, wait_until

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def kill_mid_batch(worker: Worker, batches: Batches, rng: random.Random) -> None:
    """Start a worker, tick the beat, wait until it is visibly working, then kill -9 it a random
    instant later (usually before it finishes the batch)."""
    before = batches.pending()
    proc = worker.start(concurrency=2)
    beat_tick()
    with contextlib.suppress(AssertionError):  # killed before it started: a fault too
        wait_until(lambda: batches.pending() != before, timeout=30, interval=0.05)
    pytest_sleep(rng.uniform(0.0, 0.4))
    worker.kill(proc)
    batches.kills += 1
    if any(batches.pending().values()):
        batches.killed_mid_batch += 1


def pytest_sleep(seconds: float) -> None:
    import time

    time.sleep(seconds)  # a real process is racing us: the clock cannot be frozen here


def test_killing_the_worker_mid_batch_loses_and_repeats_no_transition_or_notification(
    faults_enabled, real_worker
):
    rng = random.Random(7)
    batches = Batches()
    rounds = fault_rounds()
    for _ in range(rounds):
        batches.add(due=12, crossing=8, campaigns=2)
        kill_mid_batch(real_worker, batches, rng)

    age_unclaimed_work(batches)  # the clock passes: leases of the dead workers expire
    real_worker.start(concurrency=2)
    recover(batches)
    figures = batches.check(real_worker)

    print("\nFAULTS worker-kill " + json.dumps(figures))
    assert figures["kills"] == rounds
    # Most kills must land mid-batch, or the test proves nothing.
    assert figures["killed_mid_batch"] >= rounds // 2
    # A worker killed between the SMTP hand-off and marking the row sent resends the same
    # message (same Message-ID, so receivers drop it): at most one per message in flight per kill.
    assert figures["mail_copies_with_a_repeated_message_id"] <= rounds * 2


def test_the_checks_see_a_transition_done_twice(faults_enabled, real_worker):
    """The invariant checks can fail: a duplicated audit entry for a close is caught."""
    from civic.audit import audit_record
    from petitions.models import Initiative

    batches = Batches()
    batches.add(due=1, crossing=1, campaigns=1)
    real_worker.start(concurrency=1)
    recover(batches)
    audit_record(
        actor=None,
        verb="initiative.closed",
        target=Initiative.objects.get(pk=batches.due[0]),
        after={"status": "closed"},
    )
    with pytest.raises(AssertionError):
        batches.check(real_worker)
