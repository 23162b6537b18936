"""A moderator extends, suspends and resumes a collection: each change dated and public (page,
API), the deadline jobs follow the new closing instant, a suspended window stands still and is
given back on resumption, extensions stop at PETITIONS_EXTENSION_MAX_DAYS; other roles and bad
input change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from civic.errors import Conflict, DomainError, PermissionDenied
from petitions import services
from petitions.models import ChangeKind, CollectionChange, Initiative, Status
from tests.factories import ResidentFactory, StaffFactory
from tests.petitions.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def now(freeze):  # type: ignore[no-untyped-def]
    return freeze("2026-03-02 10:00")


def _collecting() -> Initiative:
    return InitiativeFactory(collecting=True)


def test_an_extension_moves_the_deadline_and_the_close_job_follows_it(freeze, now, moderator):
    initiative = _collecting()
    closes = initiative.closes_at
    services.collection_extend(
        initiative_id=initiative.pk, actor=moderator, days=10, reason="Période de vacances."
    )
    initiative.refresh_from_db()
    assert initiative.closes_at == closes + timedelta(days=10)
    freeze(closes + timedelta(hours=1))  # the old deadline has passed
    assert initiative.pk not in services.initiatives_due_ids()
    assert not services.initiative_close(initiative_id=initiative.pk)
    services.signature_sign(initiative_id=initiative.pk, user=ResidentFactory())
    freeze(initiative.closes_at)
    assert initiative.pk in services.initiatives_due_ids()
    assert services.initiative_close(initiative_id=initiative.pk)
    change = CollectionChange.objects.get(initiative=initiative)
    assert (change.kind, change.closes_before, change.closes_after) == (
        ChangeKind.EXTENDED,
        closes,
        closes + timedelta(days=10),
    )


def test_a_suspended_window_stands_still_and_is_given_back(freeze, now, moderator):
    initiative = _collecting()
    closes = initiative.closes_at
    services.collection_suspend(initiative_id=initiative.pk, actor=moderator, reason="Recours.")
    with pytest.raises(Conflict):
        services.signature_sign(initiative_id=initiative.pk, user=ResidentFactory())
    freeze(closes + timedelta(days=5))  # past the deadline while suspended: not closed
    assert initiative.pk not in services.initiatives_due_ids()
    assert not services.initiative_close(initiative_id=initiative.pk)
    services.collection_resume(initiative_id=initiative.pk, actor=moderator, reason="Jugé.")
    initiative.refresh_from_db()
    assert initiative.status == Status.COLLECTING and initiative.collection_paused_at is None
    # Suspended at the opening, resumed 35 days later: the 30 days left are all still ahead.
    assert initiative.closes_at == closes + timedelta(days=35)
    services.signature_sign(initiative_id=initiative.pk, user=ResidentFactory())
    page = Client().get(initiative.get_absolute_url()).content.decode()
    assert "Collecte suspendue" in page and "Collecte reprise" in page and "Recours." in page
    api = Client().get(f"/api/v1/initiatives/{initiative.pk}/history/").json()
    assert [c["kind"] for c in api] == ["paused", "resumed"]


def test_extensions_add_up_to_the_setting_at_most(now, moderator, settings):
    settings.PETITIONS_EXTENSION_MAX_DAYS = 15
    initiative = _collecting()
    services.collection_extend(initiative_id=initiative.pk, actor=moderator, days=10, reason="a")
    with pytest.raises(DomainError) as refused:
        services.collection_extend(initiative_id=initiative.pk, actor=moderator, days=6, reason="b")
    assert refused.value.code == "extension_too_long"
    services.collection_extend(initiative_id=initiative.pk, actor=moderator, days=5, reason="c")
    assert services.extension_days_left(Initiative.objects.get(pk=initiative.pk)) == 0


@pytest.mark.parametrize("days", [0, -3, True, "7"])
def test_a_bad_number_of_days_is_refused_and_nothing_changes(now, moderator, days):
    initiative = _collecting()
    with pytest.raises(DomainError) as refused:
        services.collection_extend(
            initiative_id=initiative.pk, actor=moderator, days=days, reason="x"
        )
    assert refused.value.code == "extension_days_invalid"
    assert Initiative.objects.get(pk=initiative.pk).closes_at == initiative.closes_at
    assert not CollectionChange.objects.exists()


def test_a_collection_not_running_is_neither_extended_nor_suspended(freeze, now, moderator):
    initiative = _collecting()
    freeze(initiative.closes_at)  # the deadline came, the close job not yet run
    for call in (
        lambda: services.collection_extend(
            initiative_id=initiative.pk, actor=moderator, days=3, reason="x"
        ),
        lambda: services.collection_suspend(
            initiative_id=initiative.pk, actor=moderator, reason="x"
        ),
    ):
        with pytest.raises(Conflict) as refused:
            call()
        assert refused.value.code == "collection_not_running"
    draft = InitiativeFactory()
    with pytest.raises(Conflict):
        services.collection_suspend(initiative_id=draft.pk, actor=moderator, reason="x")


def test_resume_suspend_twice_and_resume_a_moderated_initiative_are_refused(now, moderator):
    initiative = _collecting()
    with pytest.raises(Conflict) as refused:
        services.collection_resume(initiative_id=initiative.pk, actor=moderator, reason="x")
    assert refused.value.code == "collection_not_suspended"
    services.collection_suspend(initiative_id=initiative.pk, actor=moderator, reason="x")
    with pytest.raises(Conflict) as refused:
        services.collection_suspend(initiative_id=initiative.pk, actor=moderator, reason="x")
    assert refused.value.code == "collection_already_suspended"
    services.initiative_suspend(initiative_id=initiative.pk, actor=moderator, reason="y")
    with pytest.raises(Conflict) as refused:
        services.collection_resume(initiative_id=initiative.pk, actor=moderator, reason="x")
    assert refused.value.code == "initiative_moderated"
    # Reinstating the initiative keeps the collection's own suspension.
    services.initiative_reinstate(initiative_id=initiative.pk, actor=moderator, reason="z")
    assert Initiative.objects.get(pk=initiative.pk).collection_paused_at is not None


@pytest.mark.parametrize("role", ["assembly_clerk", "campaign_manager", "auditor"])
def test_other_roles_cannot_change_a_collection(now, role):
    initiative = _collecting()
    actor = StaffFactory(role=role)
    for call in (
        lambda: services.collection_extend(
            initiative_id=initiative.pk, actor=actor, days=3, reason="x"
        ),
        lambda: services.collection_suspend(initiative_id=initiative.pk, actor=actor, reason="x"),
        lambda: services.collection_resume(initiative_id=initiative.pk, actor=actor, reason="x"),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert Initiative.objects.get(pk=initiative.pk).closes_at == initiative.closes_at
    assert not CollectionChange.objects.exists()


def test_the_staff_page_extends_and_refuses_bad_input_with_a_message(now, moderator):
    initiative = _collecting()
    client = Client()
    client.force_login(moderator)
    url = f"/initiatives/{initiative.pk}/moderation/"
    bad = client.post(url, {"action": "extend", "x-days": "zero", "x-reason": "x"})
    assert (
        bad.status_code == 200
        and Initiative.objects.get(pk=initiative.pk).closes_at == initiative.closes_at
    )
    too_long = client.post(url, {"action": "extend", "x-days": "400", "x-reason": "x"}, follow=True)
    assert "ne peut plus être prolongée" in too_long.content.decode()
    client.post(url, {"action": "extend", "x-days": "7", "x-reason": "Fêtes."})
    assert Initiative.objects.get(pk=initiative.pk).closes_at == initiative.closes_at + timedelta(
        days=7
    )


def test_the_api_changes_a_collection_for_moderators_only(now, staff_api, resident_api):
    initiative = _collecting()
    base = f"/api/v1/initiatives/{initiative.pk}/collection"
    assert resident_api.post(f"{base}/suspend/", {"reason": "x"}).status_code == 403
    assert (
        staff_api("auditor").post(f"{base}/extend/", {"days": 3, "reason": "x"}).status_code == 403
    )
    moderator = staff_api("moderator")
    assert (
        moderator.post(f"{base}/extend/", {"days": 0, "reason": "x"}, format="json").status_code
        == 400
    )
    ok = moderator.post(f"{base}/extend/", {"days": 3, "reason": "x"}, format="json")
    assert ok.status_code == 200 and ok.json()["history"][0]["kind"] == "extended"
    assert moderator.post(f"{base}/resume/", {"reason": "x"}, format="json").json()["code"] == (
        "collection_not_suspended"
    )
    assert moderator.post(f"{base}/suspend/", {"reason": "x"}, format="json").status_code == 200
    resumed = moderator.post(f"{base}/resume/", {"reason": "x"}, format="json")
    assert resumed.status_code == 200 and resumed.json()["collection_paused_at"] is None


def test_paper_entry_is_refused_while_the_collection_is_suspended(now, moderator):
    initiative = _collecting()
    services.collection_suspend(initiative_id=initiative.pk, actor=moderator, reason="Recours.")
    entry = ResidentFactory().register_entry
    with pytest.raises(Conflict) as refused:
        services.paper_signature_enter(
            initiative_id=initiative.pk, actor=moderator, register_entry_id=entry.pk
        )
    assert refused.value.code == "collection_closed"
    assert not initiative.signatures.exists()


def test_an_extension_far_enough_ahead_earns_the_closing_reminder_again(freeze, now, moderator):
    initiative = _collecting()
    freeze(initiative.closes_at - timedelta(days=3))
    assert services.initiatives_remind_closing() == 1
    services.collection_extend(initiative_id=initiative.pk, actor=moderator, days=20, reason="x")
    assert Initiative.objects.get(pk=initiative.pk).reminder_sent_at is None
    assert services.initiatives_remind_closing() == 0  # 23 days left: not yet
    freeze(initiative.closes_at + timedelta(days=15))
    assert services.initiatives_remind_closing() == 1
