"""Following and being told: a resident follows an initiative, the initiative reaches a rung, the
follower gets an e-mail whose one-click unsubscribe link works; signers follow unasked and may
stop; preferences (e-mail off, daily digest) hold at delivery; bad input changes nothing."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from civic.events import events_drain
from civic.models import Follow, Notification, NotificationPreference, NotificationStatus
from civic.notifications import digests_send, notification_deliver, unsubscribe_token
from petitions import services
from petitions.models import ObligationKind, TrackRung
from tests.factories import ResidentFactory
from tests.petitions.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


def _reach_first_rung(initiative, signer=None):  # type: ignore[no-untyped-def]
    TrackRung.objects.filter(track__initiative=initiative, order=1).update(
        threshold=1, obligation_kind=ObligationKind.MEETING
    )
    services.signature_sign(initiative_id=initiative.pk, user=signer or ResidentFactory())
    services.counts_tick()
    events_drain()


def _deliver_all() -> None:
    for pk in Notification.objects.filter(status=NotificationStatus.PENDING).values_list(
        "pk", flat=True
    ):
        notification_deliver(notification_id=pk)


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_follow_then_a_rung_then_an_e_mail_whose_unsubscribe_link_works(freeze) -> None:
    freeze("2026-03-02 10:00")
    initiative = InitiativeFactory(collecting=True)
    follower = ResidentFactory()
    response = _client(follower).post(
        "/me/follows/set/",
        {
            "kind": "petitions.initiative",
            "id": initiative.pk,
            "next": f"/initiatives/{initiative.pk}/",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/initiatives/{initiative.pk}/"
    mail.outbox.clear()
    _reach_first_rung(initiative)
    _deliver_all()
    sent = [m for m in mail.outbox if m.to == [follower.email]]
    assert len(sent) == 1, [m.subject for m in mail.outbox]
    message = sent[0]
    assert initiative.title in message.subject
    link = re.search(r"<(https?://[^>]+)>", message.extra_headers["List-Unsubscribe"]).group(1)
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in message.body
    path = re.sub(r"^https?://[^/]+", "", link)
    # A mail client's one-click POST: no session, no CSRF token.
    one_click = Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200
    assert NotificationPreference.objects.get(user=follower).email is False
    # The next message stays in the inbox and is not e-mailed.
    mail.outbox.clear()
    TrackRung.objects.filter(track__initiative=initiative, order=2).update(threshold=2)
    services.signature_sign(initiative_id=initiative.pk, user=ResidentFactory())
    services.counts_tick()
    events_drain()
    _deliver_all()
    assert not [m for m in mail.outbox if m.to == [follower.email]]
    held = Notification.objects.filter(recipient=follower, kind="follow.rung_reached")
    assert held.count() == 2 and held.filter(status=NotificationStatus.INBOX).count() == 1


def test_a_signer_follows_unasked_and_may_stop(freeze) -> None:
    freeze("2026-03-02 10:00")
    initiative = InitiativeFactory(collecting=True)
    signer, quitter = ResidentFactory(), ResidentFactory()
    services.signature_sign(initiative_id=initiative.pk, user=quitter)
    _client(quitter).post(
        "/me/follows/set/",
        {"kind": "petitions.initiative", "id": initiative.pk, "action": "unfollow"},
    )
    _reach_first_rung(initiative, signer=signer)
    told = set(
        Notification.objects.filter(kind="follow.rung_reached").values_list(
            "recipient_id", flat=True
        )
    )
    assert signer.pk in told and quitter.pk not in told


def test_the_initiator_is_not_told_twice(freeze) -> None:
    freeze("2026-03-02 10:00")
    initiative = InitiativeFactory(collecting=True)
    Follow.objects.create(
        user=initiative.initiator,
        target_kind="petitions.initiative",
        target_id=initiative.pk,
        changed_at=initiative.published_at,
    )
    _reach_first_rung(initiative)
    assert not Notification.objects.filter(
        recipient=initiative.initiator, kind="follow.rung_reached"
    ).exists()


def test_the_daily_digest_sends_one_e_mail_once(freeze) -> None:
    freeze("2026-03-02 10:00")
    initiative = InitiativeFactory(collecting=True)
    follower = ResidentFactory()
    client = _client(follower)
    client.post("/me/follows/set/", {"kind": "petitions.initiative", "id": initiative.pk})
    client.post("/me/follows/", {"email": "on", "digest": "on"})
    mail.outbox.clear()
    _reach_first_rung(initiative)
    _deliver_all()
    assert not [m for m in mail.outbox if m.to == [follower.email]]
    assert Notification.objects.get(recipient=follower).status == NotificationStatus.HELD
    assert digests_send() == 1
    assert digests_send() == 0  # claimed and sent: nothing twice
    digest = [m for m in mail.outbox if m.to == [follower.email]]
    assert len(digest) == 1 and initiative.title in digest[0].body
    assert Notification.objects.get(recipient=follower).status == NotificationStatus.SENT


def test_bad_follow_requests_change_nothing() -> None:
    client = _client(ResidentFactory())
    draft = InitiativeFactory()  # not published: nothing to follow
    for data in (
        {"kind": "petitions.initiative", "id": draft.pk},
        {"kind": "petitions.initiative", "id": "abc"},
        {"kind": "nothing.here", "id": 1},
        {"kind": "petitions.initiative", "id": 999999},
    ):
        page = client.post("/me/follows/set/", data, follow=True)
        assert page.status_code == 200
        assert "rien à suivre" in page.content.decode()
    # An off-site `next` is ignored.
    assert not Follow.objects.exists()
    assert Client().post("/me/follows/set/", {"kind": "x", "id": 1}).status_code == 302  # login


def test_a_forged_unsubscribe_link_changes_nothing() -> None:
    user = ResidentFactory()
    token = unsubscribe_token(user)
    assert Client().post(f"/desabonnement/{token}x/").status_code == 404
    assert Client().get(f"/desabonnement/{token}/").status_code == 200  # asks to confirm
    assert not NotificationPreference.objects.exists()


def test_the_follows_page_lists_what_one_follows_and_saves_preferences() -> None:
    initiative = InitiativeFactory(collecting=True)
    user = ResidentFactory()
    client = _client(user)
    client.post(
        "/me/follows/set/",
        {"kind": "petitions.initiative", "id": initiative.pk, "next": "https://evil.example/"},
    )
    page = client.get("/me/follows/")
    assert initiative.title in page.content.decode()
    client.post("/me/follows/", {})
    assert NotificationPreference.objects.get(user=user).email is False
