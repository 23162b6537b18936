"""The staff page of invalidations (count, confirm, progress, undo) and the public register of
rejected signatures: plain forms, no JavaScript; authorisation holds; bad input changes nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from petitions import services
from petitions.models import Invalidation, InvalidationState, Obligation, Signature, TrackRung
from tests.factories import ResidentFactory, StaffFactory
from tests.petitions.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


def browser(user=None) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def now(freeze):  # type: ignore[no-untyped-def]
    return freeze("2026-03-02 10:00")


def _signed(n_range: int, n_other: int):  # type: ignore[no-untyped-def]
    initiative = InitiativeFactory(collecting=True)
    for i in range(n_range):
        services.signature_sign(
            initiative_id=initiative.pk, user=ResidentFactory(), ip=f"203.0.113.{i + 1}"
        )
    for i in range(n_other):
        services.signature_sign(
            initiative_id=initiative.pk, user=ResidentFactory(), ip=f"192.0.2.{i + 1}"
        )
    return initiative


def test_count_then_confirm_then_undo_from_the_page(
    now, moderator, django_capture_on_commit_callbacks
):
    initiative = _signed(2, 1)
    TrackRung.objects.filter(track__initiative=initiative, order=1).update(threshold=3)
    services.counts_tick()
    client = browser(moderator)
    url = f"/initiatives/{initiative.pk}/invalidations/"
    form = {"ip": "203.0.113.0/24", "reason": "automated", "action": "preview"}
    counted = client.post(url, form).content.decode()
    assert "2 signatures comptées correspondent" in counted
    assert 'name="expected" value="2"' in counted
    assert not Invalidation.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {**form, "action": "confirm", "expected": "2"}, follow=True)
    page = done.content.decode()
    invalidation = Invalidation.objects.get()
    assert done.redirect_chain[-1][0] == f"/initiatives/invalidations/{invalidation.pk}/"
    assert "Invalidation enregistrée" in page
    assert invalidation.state == InvalidationState.DONE and invalidation.removed == 2
    progress = client.get(url).content.decode()  # the job ran once the request committed
    assert "<progress" in progress and "2 sur 2 (100 %)" in progress
    assert 'max="2" value="2"' in progress
    detail = browser().get(f"/initiatives/{initiative.pk}/").content.decode()
    assert "Suspendu" in detail  # public on the initiative page, with its reason
    assert Obligation.objects.get(initiative=initiative).status == "suspended"
    register = browser().get(f"/initiatives/{initiative.pk}/rejections/").content.decode()
    assert "Signatures en série automatisées" in register
    assert "1 retenues + 2 rejetées = 3 reçues" in register
    with django_capture_on_commit_callbacks(execute=True):
        browser(moderator).post(f"/initiatives/invalidations/{invalidation.pk}/undo/")
    invalidation.refresh_from_db()
    assert invalidation.state == InvalidationState.UNDONE
    assert not Signature.objects.filter(invalidation__isnull=False).exists()
    assert Obligation.objects.get(initiative=initiative).status == "open"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"reason": "automated"}, "Donnez au moins un critère."),
        ({"ip": "203.0.113.0/99", "reason": "automated"}, "mal formée"),
        ({"ip": "10.0.0.0/8", "reason": "automated"}, "Aucune signature comptée ne correspond"),
    ],
)
def test_bad_input_shows_a_message_and_changes_nothing(now, moderator, form, message):
    initiative = _signed(1, 0)
    for action in ("preview", "confirm"):
        page = browser(moderator).post(
            f"/initiatives/{initiative.pk}/invalidations/", {**form, "action": action}
        )
        assert page.status_code == 200
        assert message in page.content.decode()
    assert not Invalidation.objects.exists()


@pytest.mark.parametrize("role", ["resident", "campaign_manager", "assembly_clerk", "auditor"])
def test_only_moderators_reach_the_invalidation_page(now, moderator, role):
    initiative = _signed(1, 0)
    user = ResidentFactory() if role == "resident" else StaffFactory(role=role)
    client = browser(user)
    url = f"/initiatives/{initiative.pk}/invalidations/"
    assert client.get(url).status_code == 403
    assert (
        client.post(
            url, {"ip": "203.0.113.1", "reason": "automated", "action": "confirm"}
        ).status_code
        == 403
    )
    assert browser().get(url).status_code == 302  # to the login page
    assert not Invalidation.objects.exists()


def test_the_register_is_public_and_names_no_one(now):
    initiative = _signed(1, 0)
    page = browser().get(f"/initiatives/{initiative.pk}/rejections/")
    assert page.status_code == 200
    assert "Aucune signature rejetée." in page.content.decode()
    assert "1 retenues + 0 rejetées = 1 reçues" in page.content.decode()
