from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from civic.models import Notification, NotificationStatus
from civic.notifications import (
    notification_deliver,
    notifications_stale_ids,
    notify,
)
from civic.tasks import sweep_notifications
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db


def test_a_notification_is_delivered_once_its_transaction_commits(
    django_capture_on_commit_callbacks,
):
    user = ResidentFactory(language="en")
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(recipient=user, kind="test", subject="Hello", body="Body", url="/x/")
        assert len(mail.outbox) == 0  # nothing leaves before the commit
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT and notification.sent_at
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert message.extra_headers["Message-ID"] == f"<notification-{notification.uid}@civic.invalid>"
    assert "/x/" in message.body


def test_a_rolled_back_change_notifies_no_one(django_capture_on_commit_callbacks):
    user = ResidentFactory()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify(recipient=user, kind="test", subject="s", body="b")
        raise RuntimeError
    assert callbacks == [] and Notification.objects.count() == 0 and mail.outbox == []


def test_delivering_the_same_notification_twice_sends_it_once():
    notification = notify(recipient=ResidentFactory(), kind="t", subject="s", body="b")
    assert notification_deliver(notification_id=notification.pk) is True
    assert notification_deliver(notification_id=notification.pk) is False
    assert len(mail.outbox) == 1


def test_a_live_claim_keeps_a_second_worker_away():
    notification = notify(recipient=ResidentFactory(), kind="t", subject="s", body="b")
    Notification.objects.filter(pk=notification.pk).update(
        status=NotificationStatus.SENDING, claimed_until=timezone.now() + timedelta(minutes=3)
    )
    assert notification_deliver(notification_id=notification.pk) is False
    assert mail.outbox == []


def test_the_sweep_resends_what_a_killed_worker_left_behind(freeze):
    clock = freeze("2026-05-01 10:00")
    stuck = notify(recipient=ResidentFactory(), kind="t", subject="stuck", body="b")
    never_enqueued = notify(recipient=ResidentFactory(), kind="t", subject="lost", body="b")
    Notification.objects.filter(pk=stuck.pk).update(
        status=NotificationStatus.SENDING, claimed_until=timezone.now() + timedelta(minutes=5)
    )
    assert notifications_stale_ids() == []
    clock.shift(timedelta(minutes=6))
    assert notifications_stale_ids() == [stuck.pk, never_enqueued.pk]
    assert sweep_notifications() == 2
    assert sorted(m.subject for m in mail.outbox) == ["[Civic] lost", "[Civic] stuck"]
    assert notifications_stale_ids() == []


def test_a_transport_failure_releases_the_claim_for_a_retry(monkeypatch):
    notification = notify(recipient=ResidentFactory(), kind="t", subject="s", body="b")

    def broken(self, *args, **kwargs):
        raise OSError("smtp down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", broken)
    with pytest.raises(OSError):
        notification_deliver(notification_id=notification.pk)
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PENDING
    assert notification.attempts == 1 and notification.last_error == "OSError"
    monkeypatch.undo()
    assert notification_deliver(notification_id=notification.pk) is True


def test_subjects_are_rendered_in_the_recipients_language():
    from django.utils.translation import gettext_lazy as _

    user = ResidentFactory(language="fr")
    notification = notify(recipient=user, kind="t", subject=_("Se connecter"), body="b")
    assert notification.subject == "Se connecter"
