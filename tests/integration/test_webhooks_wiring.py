"""Each instrument transition announces itself to webhook subscribers, once, with public data only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from assembly.services import sessions
from civic.models import WebhookDelivery, WebhookEvent
from petitions import services as petitions
from petitions.models import Obligation, Status, TrackRung
from referendums.models import CampaignStatus
from referendums.services.campaigns import (
    campaign_publish_results,
    campaign_transition,
    campaigns_advance,
    voting_close_due,
    voting_open_due,
)
from tests.assembly.factories import SessionFactory
from tests.dashboards.webhooks import assert_webhook_sent, subscribe
from tests.factories import ResidentFactory, StaffFactory
from tests.petitions.factories import CHARTER, LEGAL, InitiativeFactory
from tests.referendums.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def _deliveries(event: str) -> int:
    return WebhookDelivery.objects.filter(event=event).count()


def test_publishing_an_initiative_announces_it_with_its_instruments_and_public_url(freeze):
    freeze("2026-03-02 10:00")
    subscribe(WebhookEvent.INITIATIVE_PUBLISHED)
    moderator = StaffFactory(role="moderator")
    initiative = InitiativeFactory(
        status=Status.IN_REVIEW, submitted_at=timezone.now(), instruments=[CHARTER, LEGAL]
    )
    published = petitions.initiative_publish(initiative_id=initiative.pk, actor=moderator)
    delivery = assert_webhook_sent(
        WebhookEvent.INITIATIVE_PUBLISHED,
        initiative_id=initiative.pk,
        title=initiative.title,
        published_at=published.published_at,
        closes_at=published.closes_at,
        instruments=[CHARTER, LEGAL],
        url=f"{settings.SITE_URL}/initiatives/{initiative.pk}/",
    )
    assert "initiator" not in delivery.payload and "email" not in str(delivery.payload)


def test_a_refused_publication_announces_nothing():
    subscribe(WebhookEvent.INITIATIVE_PUBLISHED)
    initiative = InitiativeFactory(status=Status.IN_REVIEW, submitted_at=timezone.now())
    with pytest.raises(Exception):  # noqa: B017 - a resident may not publish
        petitions.initiative_publish(initiative_id=initiative.pk, actor=initiative.initiator)
    assert _deliveries(WebhookEvent.INITIATIVE_PUBLISHED) == 0


def test_a_crossed_rung_is_announced_once_with_its_obligation_and_no_count(freeze):
    freeze("2026-03-02 10:00")
    subscribe(WebhookEvent.INITIATIVE_RUNG_REACHED)
    initiative = InitiativeFactory(collecting=True)
    TrackRung.objects.filter(track__initiative=initiative, order=1).update(threshold=1)
    petitions.signature_sign(initiative_id=initiative.pk, user=ResidentFactory())
    petitions.counts_fold()
    [obligation_id] = petitions.rungs_evaluate(initiative_ids=[initiative.pk])
    obligation = Obligation.objects.get(pk=obligation_id)
    delivery = assert_webhook_sent(
        WebhookEvent.INITIATIVE_RUNG_REACHED,
        initiative_id=initiative.pk,
        track=0,
        rung=1,
        threshold=1,
        reached_at=timezone.now(),
        obligation_id=obligation.pk,
        obligation_kind=obligation.kind,
        obligation_due_at=obligation.due_at,
        url=f"{settings.SITE_URL}/initiatives/{initiative.pk}/",
    )
    assert "count" not in delivery.payload
    # The worker that loses the race (or a later sweep) announces nothing more.
    assert petitions.rungs_evaluate(initiative_ids=[initiative.pk]) == []
    assert petitions.rungs_evaluate() == []
    assert _deliveries(WebhookEvent.INITIATIVE_RUNG_REACHED) == 1


def test_closing_an_initiative_is_announced_once_however_many_workers_race(freeze):
    freeze("2026-03-02 10:00")
    subscribe(WebhookEvent.INITIATIVE_CLOSED)
    initiative = InitiativeFactory(collecting=True)
    assert petitions.initiative_close(initiative_id=initiative.pk) is False  # not yet due
    assert _deliveries(WebhookEvent.INITIATIVE_CLOSED) == 0
    freeze(initiative.closes_at)
    assert petitions.initiative_close(initiative_id=initiative.pk) is True
    assert_webhook_sent(
        WebhookEvent.INITIATIVE_CLOSED,
        initiative_id=initiative.pk,
        title=initiative.title,
        closed_at=initiative.closes_at,
        stats_url=f"{settings.SITE_URL}/api/v1/stats/initiatives/{initiative.pk}/",
        url=f"{settings.SITE_URL}/initiatives/{initiative.pk}/",
    )
    assert petitions.initiative_close(initiative_id=initiative.pk) is False
    assert _deliveries(WebhookEvent.INITIATIVE_CLOSED) == 1


def test_a_referendum_announces_its_opening_close_and_results_once_each_without_figures(freeze):
    subscribe(
        WebhookEvent.REFERENDUM_OPENED,
        WebhookEvent.REFERENDUM_CLOSED,
        WebhookEvent.REFERENDUM_RESULTS,
    )
    manager = StaffFactory(role="campaign_manager")
    for _ in range(2):
        ResidentFactory()
    now = timezone.now()
    campaign = CampaignFactory(
        created_by=manager,
        campaign_opens_at=now + timedelta(days=1),
        voting_opens_at=now + timedelta(days=10),
        voting_closes_at=now + timedelta(days=11),
    )
    campaign_transition(campaign_id=campaign.pk, actor=manager, action="schedule")
    freeze(campaign.campaign_opens_at)
    assert campaigns_advance()["campaign"] == 1

    freeze(campaign.voting_opens_at)
    assert voting_open_due(campaign_id=campaign.pk) is True
    assert voting_open_due(campaign_id=campaign.pk) is False  # the losing worker
    campaign.refresh_from_db()
    assert_webhook_sent(
        WebhookEvent.REFERENDUM_OPENED,
        campaign_id=campaign.pk,
        title=campaign.title_fr,
        kind=campaign.kind,
        opened_at=campaign.opened_at,
        voting_closes_at=campaign.voting_closes_at,
    )
    assert _deliveries(WebhookEvent.REFERENDUM_OPENED) == 1

    freeze(campaign.voting_closes_at)
    assert voting_close_due(campaign_id=campaign.pk) is True
    assert voting_close_due(campaign_id=campaign.pk) is False
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CLOSED and campaign.results is not None
    delivery = assert_webhook_sent(
        WebhookEvent.REFERENDUM_CLOSED,
        campaign_id=campaign.pk,
        title=campaign.title_fr,
        closed_at=campaign.closed_at,
    )
    assert _deliveries(WebhookEvent.REFERENDUM_CLOSED) == 1
    # No figure of any kind: only the id, the title and the date.
    assert set(delivery.payload) == {"campaign_id", "title", "closed_at"}
    for word in ("ballots", "count", "turnout", "votes", "results", "yes", "no"):
        assert word not in delivery.payload

    campaign_publish_results(campaign_id=campaign.pk, actor=manager)
    campaign.refresh_from_db()
    assert_webhook_sent(
        WebhookEvent.REFERENDUM_RESULTS,
        campaign_id=campaign.pk,
        title=campaign.title_fr,
        published_at=campaign.published_at,
        results_url=f"{settings.SITE_URL}/referendums/{campaign.pk}/results/",
    )
    assert _deliveries(WebhookEvent.REFERENDUM_RESULTS) == 1


def test_publishing_a_session_agenda_is_announced_once():
    subscribe(WebhookEvent.ASSEMBLY_AGENDA)
    clerk = StaffFactory(role="assembly_clerk")
    session = SessionFactory()
    assert sessions.session_publish_agenda(session_id=session.pk, actor=clerk) is True
    assert_webhook_sent(
        WebhookEvent.ASSEMBLY_AGENDA,
        session_id=session.pk,
        title=session.title,
        starts_at=session.starts_at,
        place=session.place,
        url=settings.SITE_URL + reverse("assembly:session", args=[session.pk]),
    )
    assert sessions.session_publish_agenda(session_id=session.pk, actor=clerk) is False
    assert _deliveries(WebhookEvent.ASSEMBLY_AGENDA) == 1


def test_nothing_is_queued_for_a_subscriber_to_other_events(freeze):
    freeze("2026-03-02 10:00")
    subscribe(WebhookEvent.ASSEMBLY_AGENDA)
    initiative = InitiativeFactory(collecting=True)
    freeze(initiative.closes_at)
    assert petitions.initiative_close(initiative_id=initiative.pk) is True
    assert WebhookDelivery.objects.count() == 0
