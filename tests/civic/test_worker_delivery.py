"""Outbox delivery through a real Celery worker and broker (Redis in CI)."""

import subprocess
import sys

import pytest
from django.db import transaction

from civic.models import Notification, NotificationStatus
from civic.notifications import notify
from civic.tasks import deliver_notification, sweep_notifications
from tests.factories import ResidentFactory
from tests.worker import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_each_notification_is_mailed_exactly_once_despite_duplicate_enqueues(real_worker):
    real_worker.start(concurrency=4)
    residents = ResidentFactory.create_batch(10)
    with transaction.atomic():
        created = [
            notify(recipient=r, kind="test", subject=f"n{i}", body="b")
            for i, r in enumerate(residents * 4)
        ]
    for n in created:  # the same ids again, as a redelivery or a sweep would
        deliver_notification.delay(n.pk)
        deliver_notification.delay(n.pk)
    sweep_notifications.delay()

    def all_sent() -> bool:
        return not Notification.objects.exclude(status=NotificationStatus.SENT).exists()

    wait_until(all_sent, timeout=90)
    ids = real_worker.message_ids()
    assert len(ids) == len(created) == 40
    assert len(set(ids)) == 40


def test_a_real_worker_is_given_its_test_process_s_own_cache_database(settings, request):
    """Under pytest-xdist each test process has moved its cache N Redis databases on; the worker a
    test starts shares that database (enqueue marks, counts), not the first process's, whose
    cache.clear() at each test would otherwise wipe it."""
    moved = "redis://127.0.0.1:6379/5"  # as a test process gw5 on a CACHE_URL of database 0
    settings.CACHES = {
        "default": {"BACKEND": "civic.perf.redis_cache.RedisCache", "LOCATION": moved}
    }
    worker = request.getfixturevalue("real_worker")
    code = "from django.conf import settings; print(settings.CACHES['default']['LOCATION'])"
    shown = subprocess.run(
        [sys.executable, "-c", code],
        env={**worker.env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert shown.stdout.strip() == moved
