"""A moderator suspends, unpublishes and reinstates an initiative with a public reason: signing is
refused meanwhile (the predicate and the signing statement), counts stay, the page and the API say
why and when, the history is public, everything is audited; other roles and bad input change
nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from civic.errors import Conflict, DomainError, InvalidTransition, PermissionDenied
from civic.models import AuditEntry, Notification
from petitions import services
from petitions.models import (
    ChangeKind,
    CollectionChange,
    Initiative,
    Moderation,
    RejectionReason,
    Signature,
    Status,
)
from tests.factories import ResidentFactory, StaffFactory
from tests.petitions.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

REASON = "Propos injurieux envers une personne nommée."


def browser(user=None) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def now(freeze):  # type: ignore[no-untyped-def]
    return freeze("2026-03-02 10:00")


def _signed(n: int = 2) -> Initiative:
    initiative = InitiativeFactory(collecting=True)
    for _ in range(n):
        services.signature_sign(initiative_id=initiative.pk, user=ResidentFactory())
    services.counts_tick()
    return initiative


def _total(initiative: Initiative) -> int:
    return Signature.objects.filter(initiative=initiative, invalidation__isnull=True).count()


def test_a_suspended_initiative_refuses_signatures_keeps_its_count_and_shows_why(now, moderator):
    initiative = _signed(2)
    services.initiative_suspend(initiative_id=initiative.pk, actor=moderator, reason=REASON)
    initiative.refresh_from_db()
    assert initiative.moderation == Moderation.SUSPENDED
    assert initiative.collection_paused_at is not None
    with pytest.raises(Conflict) as refused:
        services.signature_sign(initiative_id=initiative.pk, user=ResidentFactory())
    assert refused.value.code == "collection_closed"
    assert _total(initiative) == 2
    page = browser().get(initiative.get_absolute_url()).content.decode()
    assert "Initiative suspendue par la modération le 2 mars 2026" in page
    assert REASON in page
    assert "Le texte complet." in page  # the text stays public while suspended
    assert f'action="/initiatives/{initiative.pk}/sign/"' not in page
    assert AuditEntry.objects.filter(verb="initiative.suspended").count() == 1
    change = CollectionChange.objects.get(initiative=initiative)
    assert (change.kind, change.reason, change.actor) == (ChangeKind.SUSPENDED, REASON, moderator)
    assert Notification.objects.filter(
        recipient=initiative.initiator, kind="petitions.suspended"
    ).exists()


def test_unpublishing_withdraws_the_text_and_reinstating_resumes_with_the_time_given_back(
    now, freeze, moderator
):
    initiative = _signed(1)
    closes = initiative.closes_at
    services.initiative_unpublish(initiative_id=initiative.pk, actor=moderator, reason=REASON)
    anonymous = browser().get(initiative.get_absolute_url())
    page = anonymous.content.decode()
    assert anonymous.status_code == 200
    assert "Initiative dépubliée" in page and REASON in page
    assert "Le texte complet." not in page and "Un résumé." not in page
    listed = browser().get("/initiatives/").content.decode()
    assert initiative.title not in listed
    api = browser().get(f"/api/v1/initiatives/{initiative.pk}/").json()
    assert (api["moderation"], api["body"], api["summary"]) == ("unpublished", "", "")
    assert api["history"][0]["kind"] == "unpublished" and api["history"][0]["reason"] == REASON
    with pytest.raises(Conflict):
        services.signature_sign(initiative_id=initiative.pk, user=ResidentFactory())

    freeze("2026-03-05 10:00")  # three days unpublished
    services.initiative_reinstate(
        initiative_id=initiative.pk, actor=moderator, reason="Propos retirés par les auteurs."
    )
    initiative.refresh_from_db()
    assert initiative.moderation == Moderation.PUBLIC and initiative.collection_paused_at is None
    assert initiative.closes_at == closes + timedelta(days=3)
    services.signature_sign(initiative_id=initiative.pk, user=ResidentFactory())
    assert _total(initiative) == 2
    kinds = list(
        CollectionChange.objects.filter(initiative=initiative).values_list("kind", flat=True)
    )
    assert kinds == [ChangeKind.UNPUBLISHED, ChangeKind.REINSTATED]


def test_a_closed_initiative_may_be_unpublished_and_stays_closed_when_reinstated(now, moderator):
    initiative = _signed(1)
    Initiative.objects.filter(pk=initiative.pk).update(
        status=Status.CLOSED, closed_at=timezone.now()
    )
    services.initiative_unpublish(initiative_id=initiative.pk, actor=moderator, reason=REASON)
    services.initiative_reinstate(initiative_id=initiative.pk, actor=moderator, reason="Revu.")
    initiative.refresh_from_db()
    assert (initiative.status, initiative.moderation) == (Status.CLOSED, Moderation.PUBLIC)
    assert initiative.collection_paused_at is None


@pytest.mark.parametrize("role", ["assembly_clerk", "campaign_manager", "auditor"])
def test_other_staff_roles_cannot_moderate(now, role):
    initiative = _signed(0)
    with pytest.raises(PermissionDenied):
        services.initiative_suspend(
            initiative_id=initiative.pk, actor=StaffFactory(role=role), reason=REASON
        )
    initiative.refresh_from_db()
    assert initiative.moderation == Moderation.PUBLIC
    assert not CollectionChange.objects.exists()


def test_residents_and_initiators_cannot_moderate(now):
    initiative = _signed(0)
    for actor in (ResidentFactory(), initiative.initiator):
        with pytest.raises(PermissionDenied):
            services.initiative_unpublish(initiative_id=initiative.pk, actor=actor, reason=REASON)
    assert Initiative.objects.get(pk=initiative.pk).moderation == Moderation.PUBLIC


@pytest.mark.parametrize("reason", ["", "   ", "x" * 2001])
def test_a_missing_or_overlong_reason_is_refused_and_nothing_changes(now, moderator, reason):
    initiative = _signed(0)
    with pytest.raises(DomainError) as refused:
        services.initiative_suspend(initiative_id=initiative.pk, actor=moderator, reason=reason)
    assert refused.value.code in ("reason_required", "reason_too_long")
    initiative.refresh_from_db()
    assert initiative.moderation == Moderation.PUBLIC and initiative.collection_paused_at is None
    assert not AuditEntry.objects.filter(verb__startswith="initiative.suspend").exists()


def test_the_moderation_table_refuses_what_it_does_not_allow(now, moderator):
    initiative = _signed(0)
    with pytest.raises(InvalidTransition):
        services.initiative_reinstate(initiative_id=initiative.pk, actor=moderator, reason="x")
    services.initiative_unpublish(initiative_id=initiative.pk, actor=moderator, reason=REASON)
    with pytest.raises(InvalidTransition):
        services.initiative_suspend(initiative_id=initiative.pk, actor=moderator, reason=REASON)
    assert CollectionChange.objects.count() == 1


def test_a_draft_is_not_moderated_it_is_not_public(moderator):
    draft = InitiativeFactory()
    with pytest.raises(Conflict) as refused:
        services.initiative_suspend(initiative_id=draft.pk, actor=moderator, reason=REASON)
    assert refused.value.code == "initiative_not_public"


def test_a_rejected_initiative_stays_public_with_its_reason(moderator):
    initiative = InitiativeFactory(status=Status.SUBMITTED, submitted_at=timezone.now())
    reason = RejectionReason.objects.filter(active=True).first()
    assert reason is not None
    services.initiative_reject(
        initiative_id=initiative.pk,
        actor=moderator,
        reason_code=reason.code,
        text="Hors des compétences de la commune.",
    )
    page = browser().get(initiative.get_absolute_url())
    assert page.status_code == 200
    text = page.content.decode()
    assert "Irrecevable" in text and "Hors des compétences de la commune." in text
    api = browser().get(f"/api/v1/initiatives/{initiative.pk}/")
    assert api.status_code == 200 and api.json()["rejection_text"].startswith("Hors des")
    listed = browser().get("/api/v1/initiatives/?status=rejected").json()
    assert initiative.pk in [row["id"] for row in listed["results"]]
    # Inadmissible, then unpublished for its content: a notice only.
    services.initiative_unpublish(initiative_id=initiative.pk, actor=moderator, reason=REASON)
    assert (
        "Hors des compétences" not in browser().get(initiative.get_absolute_url()).content.decode()
    )


def test_the_staff_page_suspends_and_reinstates_with_plain_forms(now, moderator):
    initiative = _signed(1)
    client = browser(moderator)
    url = f"/initiatives/{initiative.pk}/moderation/"
    assert client.get(url).status_code == 200
    empty = client.post(url, {"action": "suspend", "m-reason": ""})
    assert empty.status_code == 200 and "Ce champ est obligatoire" in empty.content.decode()
    assert Initiative.objects.get(pk=initiative.pk).moderation == Moderation.PUBLIC
    done = client.post(url, {"action": "suspend", "m-reason": REASON}, follow=True)
    assert "L&#x27;initiative est suspendue." in done.content.decode()
    assert Initiative.objects.get(pk=initiative.pk).moderation == Moderation.SUSPENDED
    again = client.post(url, {"action": "suspend", "m-reason": REASON}, follow=True)
    assert "Impossible de passer" in again.content.decode()  # a message, not a 500
    client.post(url, {"action": "reinstate", "m-reason": "Revu."})
    assert Initiative.objects.get(pk=initiative.pk).moderation == Moderation.PUBLIC


@pytest.mark.parametrize("who", ["anonymous", "resident", "assembly_clerk"])
def test_the_staff_pages_are_refused_to_others(now, who):
    initiative = _signed(0)
    user = (
        None
        if who == "anonymous"
        else (ResidentFactory() if who == "resident" else StaffFactory(role=who))
    )
    client = browser(user)
    for url in (f"/initiatives/{initiative.pk}/moderation/", "/initiatives/staff/moderation/"):
        response = client.get(url)
        assert response.status_code in (302, 403)
    client.post(f"/initiatives/{initiative.pk}/moderation/", {"action": "suspend", "m-reason": "x"})
    assert Initiative.objects.get(pk=initiative.pk).moderation == Moderation.PUBLIC


def test_the_api_moderates_with_stable_error_codes(now, staff_api, resident_api):
    initiative = _signed(0)
    url = f"/api/v1/initiatives/{initiative.pk}/moderation/"
    assert resident_api.post(url, {"moderation": "suspended", "reason": REASON}).status_code == 403
    moderator = staff_api("moderator")
    bad = moderator.post(url, {"moderation": "hidden", "reason": REASON}, format="json")
    assert bad.status_code == 400
    blank = moderator.post(url, {"moderation": "suspended", "reason": ""}, format="json")
    assert blank.status_code == 400
    ok = moderator.post(url, {"moderation": "suspended", "reason": REASON}, format="json")
    assert ok.status_code == 200 and ok.json()["moderation"] == "suspended"
    again = moderator.post(url, {"moderation": "suspended", "reason": REASON}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "moderation_invalid_transition"
    history = resident_api.get(f"/api/v1/initiatives/{initiative.pk}/history/").json()
    assert [h["kind"] for h in history] == ["suspended"]


def test_followers_are_told_of_a_moderation_change(
    now, moderator, django_capture_on_commit_callbacks
):
    from civic.events import events_drain

    initiative = InitiativeFactory(collecting=True)
    signer = ResidentFactory()
    services.signature_sign(initiative_id=initiative.pk, user=signer)
    with django_capture_on_commit_callbacks(execute=True):
        services.initiative_suspend(initiative_id=initiative.pk, actor=moderator, reason=REASON)
    events_drain()
    assert Notification.objects.filter(recipient=signer, kind="follow.collection_changed").exists()
