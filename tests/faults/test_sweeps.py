"""What made the recovery after 50 kills stall, pinned without a worker (main suite, not opt-in):

- a sweep enqueues a due id only if no copy of it is already waiting (the enqueue-once marker), so
  a backlog does not grow by every due id at every beat tick;
- two campaign sweeps running at once share the due campaigns instead of the second waiting on each
  row the first holds.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import caches
from django.db import OperationalError, connection
from django.utils import timezone

from civic.models import AuditEntry, Notification, NotificationStatus
from civic.notifications import STALE_AFTER, notify
from civic.queue import enqueue_mark_clear
from civic.tasks import deliver_notification, sweep_notifications
from petitions import tasks as petitions_tasks
from petitions.models import Initiative, Status
from referendums.models import Campaign, CampaignStatus
from referendums.services import campaigns as campaign_services
from tests.factories import ResidentFactory
from tests.petitions.factories import InitiativeFactory
from tests.referendums.factories import CampaignFactory

CLOSE = petitions_tasks.close_initiative.name


@pytest.fixture
def shared_cache(settings, tmp_path):
    """A cache every process sees (the markers are off with a per-process cache)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
    yield caches["default"]


@pytest.fixture
def queued(monkeypatch):
    """What `delay` put in the broker, without running it (the worker is elsewhere)."""
    sent: list[tuple[str, int]] = []
    for task in (petitions_tasks.close_initiative, deliver_notification):
        monkeypatch.setattr(task, "delay", lambda pk, _name=task.name: sent.append((_name, pk)))
    return sent


def _due_initiative() -> int:
    initiative = InitiativeFactory(collecting=True)
    past = timezone.now() - timedelta(minutes=1)
    Initiative.objects.filter(pk=initiative.pk).update(
        submitted_at=past - timedelta(days=31),
        published_at=past - timedelta(days=30),
        closes_at=past,
    )
    return initiative.pk


@pytest.mark.django_db
def test_a_due_initiative_whose_close_is_waiting_is_not_enqueued_again(shared_cache, queued):
    pk = _due_initiative()
    assert petitions_tasks.close_due_initiatives() == 1
    assert petitions_tasks.close_due_initiatives() == 0
    assert petitions_tasks.close_due_initiatives() == 0
    assert queued == [(CLOSE, pk)]


@pytest.mark.django_db
def test_a_close_killed_after_it_started_is_enqueued_again_by_the_next_sweep(shared_cache, queued):
    pk = _due_initiative()
    petitions_tasks.close_due_initiatives()
    enqueue_mark_clear(CLOSE, pk)  # what the task does first, before it was killed
    assert petitions_tasks.close_due_initiatives() == 1
    assert queued == [(CLOSE, pk), (CLOSE, pk)]


@pytest.mark.django_db
def test_the_close_task_frees_its_marker_and_acts_once(shared_cache, queued):
    pk = _due_initiative()
    petitions_tasks.close_due_initiatives()
    assert petitions_tasks.close_initiative(pk) is True
    assert petitions_tasks.close_initiative(pk) is False
    assert Initiative.objects.get(pk=pk).status == Status.CLOSED
    assert petitions_tasks.close_due_initiatives() == 0
    assert AuditEntry.objects.filter(verb="initiative.closed", target_id=str(pk)).count() == 1


@pytest.mark.django_db
def test_with_a_per_process_cache_every_sweep_enqueues(settings, queued):
    # locmem: a marker set in one worker process is invisible to the others, so it is not used.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    pk = _due_initiative()
    assert petitions_tasks.close_due_initiatives() == 1
    assert petitions_tasks.close_due_initiatives() == 1
    assert queued == [(CLOSE, pk), (CLOSE, pk)]


@pytest.mark.django_db
def test_a_cache_outage_does_not_stop_the_sweep(shared_cache, queued, monkeypatch):
    pk = _due_initiative()
    monkeypatch.setattr(shared_cache, "add", mock.Mock(side_effect=ConnectionError("down")))
    assert petitions_tasks.close_due_initiatives() == 1
    assert queued == [(CLOSE, pk)]


@pytest.mark.django_db
def test_a_broker_outage_at_enqueue_leaves_no_marker_behind(shared_cache, queued, monkeypatch):
    pk = _due_initiative()
    with monkeypatch.context() as patched:
        patched.setattr(
            petitions_tasks.close_initiative, "delay", mock.Mock(side_effect=OSError("broker"))
        )
        with pytest.raises(OSError):
            petitions_tasks.close_due_initiatives()
    assert petitions_tasks.close_due_initiatives() == 1
    assert queued == [(CLOSE, pk)]


@pytest.mark.django_db
def test_the_notification_sweep_skips_deliveries_still_waiting_in_the_queue(
    shared_cache, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        waiting = notify(recipient=ResidentFactory(), kind="t", subject="s", body="b")
        killed = notify(recipient=ResidentFactory(), kind="t", subject="s", body="b")
    assert queued == [
        (deliver_notification.name, waiting.pk),
        (deliver_notification.name, killed.pk),
    ]
    # Both are stale for the sweep; `killed` was taken by a worker that died holding its lease.
    Notification.objects.update(created_at=timezone.now() - STALE_AFTER - timedelta(seconds=1))
    Notification.objects.filter(pk=killed.pk).update(
        status=NotificationStatus.SENDING, claimed_until=timezone.now() - timedelta(seconds=1)
    )
    enqueue_mark_clear(deliver_notification.name, killed.pk)  # the delivery had started
    assert sweep_notifications() == 1
    assert sweep_notifications() == 0
    assert queued[2:] == [(deliver_notification.name, killed.pk)]


# --- Two campaign sweeps at once -------------------------------------------------------------


def _due_campaign() -> int:
    past = timezone.now() - timedelta(minutes=1)
    return CampaignFactory(
        status=CampaignStatus.SCHEDULED,
        campaign_opens_at=past - timedelta(days=2),
        voting_opens_at=past - timedelta(hours=2),
        voting_closes_at=past,
    ).pk


@pytest.mark.django_db(transaction=True)
def test_a_second_campaign_sweep_takes_the_other_campaigns_instead_of_waiting(monkeypatch):
    held, other = _due_campaign(), _due_campaign()
    inside, release = threading.Event(), threading.Event()
    freeze = campaign_services.clock.electorate_freeze
    first = threading.current_thread()

    def paused_freeze(*, campaign: Campaign) -> int:
        # The first sweep stops in the middle of a step on `held`: row updated, not committed.
        if threading.current_thread() is not first and campaign.pk == held:
            inside.set()
            release.wait(timeout=60)
        return freeze(campaign=campaign)

    monkeypatch.setattr(campaign_services.clock, "electorate_freeze", paused_freeze)
    outcome: list[object] = []

    def sweep() -> None:
        try:
            outcome.append(campaign_services.campaigns_advance())
        except Exception as exc:
            outcome.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=sweep)
    thread.start()
    try:
        assert inside.wait(timeout=60)
        with connection.cursor() as cursor:
            # Waiting on the held row instead of moving on fails here rather than hanging.
            cursor.execute("SET lock_timeout = '5s'")
        try:
            second = campaign_services.campaigns_advance()
        except OperationalError as exc:
            pytest.fail(f"the second sweep waited on the first one's campaign: {exc}")
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
        # The second sweep closed the other vote (the first may have opened it before pausing)
        # and left the held one to the first sweep.
        assert second["closed"] == 1
        assert Campaign.objects.get(pk=other).status == CampaignStatus.CLOSED
        assert Campaign.objects.get(pk=held).status == CampaignStatus.SCHEDULED
    finally:
        release.set()
        thread.join(timeout=60)
    assert not isinstance(outcome[0], Exception), outcome
    campaign_services.campaigns_advance()  # the next tick finishes what the first sweep left
    assert Campaign.objects.get(pk=held).status == CampaignStatus.CLOSED
    steps = sorted(
        AuditEntry.objects.filter(
            verb__in=["referendum.campaign", "referendum.voting", "referendum.closed"]
        ).values_list("target_id", "verb")
    )
    assert steps == sorted(
        (str(pk), verb)
        for pk in (held, other)
        for verb in ("referendum.campaign", "referendum.voting", "referendum.closed")
    )
