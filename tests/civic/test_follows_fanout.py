"""A broadcast at viral scale: the messages are written with a bounded number of statements
whatever the number of followers, their delivery is enqueued one task per batch on the bulk queue,
each follower still gets it in their language, and the residents who turned e-mail off or chose the
digest still get no e-mail; the count tick stays on the default queue."""

from __future__ import annotations

import math
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext_noop

from civic import notifications
from civic.follows import broadcast
from civic.models import (
    Follow,
    Notification,
    NotificationPreference,
    NotificationStatus,
    User,
)
from civic.notifications import DELIVER_BATCH_TASK, DELIVERY_BATCH, notifications_deliver
from config.celery import app as celery_app
from config.queues import BULK_TASKS, bulk_queue
from tests.petitions.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

KIND = "petitions.initiative"
SUBJECT = gettext_noop("« %(title)s » a franchi un palier")
BODY = gettext_noop(
    "L'initiative « %(title)s » a recueilli assez de signatures pour franchir un palier. "
    "Sa page dit ce que la ville doit faire, et avant quelle date."
)


def _followers(initiative: Any, n: int, *, prefix: str) -> list[User]:
    users = User.objects.bulk_create(
        User(email=f"{prefix}{i}@fanout.invalid", language="en" if i % 5 == 0 else "fr")
        for i in range(n)
    )
    Follow.objects.bulk_create(
        Follow(
            user=user,
            target_kind=KIND,
            target_id=initiative.pk,
            following=True,
            changed_at=timezone.now(),
        )
        for user in users
    )
    return users


def _broadcast(initiative: Any, monkeypatch: Any, captured: list[list[int]]) -> tuple[int, int]:
    """Broadcast, with the delivery tasks recorded instead of run."""
    monkeypatch.setattr(
        celery_app.tasks[DELIVER_BATCH_TASK], "delay", lambda ids: captured.append(list(ids))
    )
    with CaptureQueriesContext(connection) as queries:
        told = broadcast(
            kind=KIND,
            target_id=initiative.pk,
            notification_kind="follow.rung_reached",
            subject=SUBJECT,
            body=BODY,
            params={},
        )
    return told, len(queries.captured_queries)


def test_a_broadcast_costs_the_same_statements_for_50_or_500_followers_and_batches_delivery(
    monkeypatch, django_capture_on_commit_callbacks
) -> None:
    costs = {}
    for n in (50, 500):
        initiative: Any = InitiativeFactory(collecting=True)
        _followers(initiative, n, prefix=f"n{n}-")
        captured: list[list[int]] = []
        with django_capture_on_commit_callbacks(execute=True):
            told, statements = _broadcast(initiative, monkeypatch, captured)
        assert told == n
        costs[n] = statements
        # One delivery task per batch of recipients, not one per message.
        assert len(captured) == math.ceil(n / DELIVERY_BATCH)
        assert all(len(batch) <= DELIVERY_BATCH for batch in captured)
        sent_ids = sorted(pk for batch in captured for pk in batch)
        assert sent_ids == sorted(
            Notification.objects.filter(recipient__email__startswith=f"n{n}-").values_list(
                "pk", flat=True
            )
        )
    assert costs[50] == costs[500] and costs[500] <= 8, costs


def test_each_follower_reads_it_in_their_language_and_their_choice_holds(
    monkeypatch, django_capture_on_commit_callbacks
) -> None:
    initiative: Any = InitiativeFactory(collecting=True)
    french, english, off, digest = _followers(initiative, 4, prefix="pref-")
    User.objects.filter(pk=english.pk).update(language="en")
    User.objects.filter(pk=french.pk).update(language="")  # none chosen: the site's language
    NotificationPreference.objects.create(
        user=off, email=False, daily_digest=False, changed_at=timezone.now()
    )
    NotificationPreference.objects.create(
        user=digest, email=True, daily_digest=True, changed_at=timezone.now()
    )
    captured: list[list[int]] = []
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _broadcast(initiative, monkeypatch, captured)
    for batch in captured:
        notifications_deliver(notification_ids=batch)
    status = dict(Notification.objects.values_list("recipient_id", "status"))
    assert status == {
        french.pk: NotificationStatus.SENT,
        english.pk: NotificationStatus.SENT,
        off.pk: NotificationStatus.INBOX,
        digest.pk: NotificationStatus.HELD,
    }
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert set(by_recipient) == {french.email, english.email}  # no e-mail to the other two
    assert "a franchi un palier" in by_recipient[french.email].subject
    assert "reached a threshold" in by_recipient[english.email].subject
    for message in by_recipient.values():
        assert initiative.title in str(message.subject)
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "/desabonnement/" in message.extra_headers["List-Unsubscribe"]
    # A batch delivered again (a retry, a duplicate message) sends nothing twice.
    for batch in captured:
        assert notifications_deliver(notification_ids=batch) == 0
    assert len(mail.outbox) == 2


def test_a_failed_send_in_a_batch_holds_back_only_its_own_row(
    monkeypatch, django_capture_on_commit_callbacks
) -> None:
    initiative: Any = InitiativeFactory(collecting=True)
    first, second = _followers(initiative, 2, prefix="fail-")
    captured: list[list[int]] = []
    with django_capture_on_commit_callbacks(execute=True):
        _broadcast(initiative, monkeypatch, captured)
    real_email = notifications._email

    class Refused(OSError):
        pass

    def refuse(fail_silently: bool = False) -> int:
        raise Refused

    def email(user: User, **kwargs: Any) -> Any:
        message = real_email(user, **kwargs)
        if user.pk == first.pk:
            message.send = refuse  # type: ignore[method-assign]
        return message

    monkeypatch.setattr(notifications, "_email", email)
    with pytest.raises(Refused):
        notifications_deliver(notification_ids=captured[0])
    status = dict(Notification.objects.values_list("recipient_id", "status"))
    assert status == {first.pk: NotificationStatus.PENDING, second.pk: NotificationStatus.SENT}
    monkeypatch.setattr(notifications, "_email", real_email)
    assert notifications_deliver(notification_ids=captured[0]) == 1  # the retry sends the rest
    assert Notification.objects.filter(status=NotificationStatus.SENT).count() == 2


def test_the_count_tick_and_the_fan_out_go_to_different_queues() -> None:
    router = celery_app.amqp.router
    default = celery_app.conf.task_default_queue

    def queue_of(name: str) -> str:
        return router.route({}, name, (), {})["queue"].name

    for name in (
        "petitions.tasks.count_tick",
        "petitions.tasks.close_initiative",
        "petitions.tasks.rungs_sweep",
        "referendums.tasks.advance_campaigns",
        "dashboards.tasks.stats_tick",
        "civic.tasks.dispatch_event",
    ):
        assert queue_of(name) == default, name
    for name in (
        DELIVER_BATCH_TASK,
        "civic.tasks.deliver_notification",
        "civic.tasks.send_digests",
        "petitions.tasks.trending_alerts",
        "petitions.tasks.run_invalidation",
    ):
        assert queue_of(name) == bulk_queue(default), name
    # Every bulk task exists, and a worker started without -Q consumes both queues.
    assert set(celery_app.tasks) >= BULK_TASKS
    assert {q.name for q in celery_app.conf.task_queues} == {default, bulk_queue(default)}


def test_a_private_default_queue_moves_its_bulk_queue_with_it() -> None:
    """A test's or a benchmark's worker takes `<queue>` and `<queue>-bulk`: the router follows
    the default queue in force when the task is sent."""
    saved = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = "private-q"
    try:
        route = celery_app.amqp.router.route
        assert route({}, DELIVER_BATCH_TASK, (), {})["queue"].name == "private-q-bulk"
        assert route({}, "petitions.tasks.count_tick", (), {})["queue"].name == "private-q"
    finally:
        celery_app.conf.task_default_queue = saved
