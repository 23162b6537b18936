"""The referendums app's domain events: a draft from an assembly recommendation (received), the
draft announced and a published result announced (sent), each in the transaction of its change."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from civic.errors import Conflict, InvalidTransition
from civic.events import events_drain, publish
from civic.models import DomainEvent
from referendums.models import Campaign, CampaignStatus, OriginKind
from referendums.services.campaigns import campaign_publish_results
from tests.factories import ResidentFactory, StaffFactory
from tests.referendums.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def _refer(actor_id: int | None, recommendation_id: int = 7) -> None:
    publish(
        "assembly.recommendation_referred",
        recommendation_id=recommendation_id,
        mandate_id=2,
        title="Végétaliser les cours d'école",
        text="L'assemblée recommande...",
        source_url="/assembly/2/recommendations/",
        actor_id=actor_id,
    )
    events_drain()


def _payloads(name: str) -> list[dict[str, Any]]:
    return [e.payload for e in DomainEvent.objects.filter(name=name).order_by("id")]


def test_a_referred_recommendation_becomes_a_draft_that_is_announced():
    clerk = StaffFactory(role="assembly_clerk")
    _refer(clerk.pk)
    campaign = Campaign.objects.get(origin_kind=OriginKind.ASSEMBLY, origin_id=7)
    assert campaign.status == CampaignStatus.DRAFT
    assert campaign.created_by == clerk
    assert _payloads("referendums.draft_created") == [
        {
            "campaign_id": campaign.pk,
            "origin_kind": "assembly",
            "origin_id": 7,
            "actor_id": clerk.pk,
        }
    ]


def test_a_second_delivery_of_the_same_recommendation_creates_nothing():
    clerk = StaffFactory(role="assembly_clerk")
    _refer(clerk.pk)
    _refer(clerk.pk)
    assert Campaign.objects.filter(origin_kind=OriginKind.ASSEMBLY, origin_id=7).count() == 1
    assert len(_payloads("referendums.draft_created")) == 1


def test_another_recommendation_gets_its_own_draft():
    clerk = StaffFactory(role="assembly_clerk")
    _refer(clerk.pk, recommendation_id=7)
    _refer(clerk.pk, recommendation_id=8)
    assert Campaign.objects.filter(origin_kind=OriginKind.ASSEMBLY).count() == 2


def test_a_recommendation_referred_by_a_resident_makes_no_draft():
    _refer(ResidentFactory().pk)
    assert not Campaign.objects.exists()
    assert not _payloads("referendums.draft_created")


def test_a_recommendation_referred_by_an_unknown_actor_makes_no_draft():
    _refer(None)
    assert not Campaign.objects.exists()
    assert not _payloads("referendums.draft_created")


def _closed_vote() -> Campaign:
    return CampaignFactory(
        status=CampaignStatus.CLOSED,
        opened_at=timezone.now(),
        closed_at=timezone.now(),
        results={"method": "online", "ballots": 0},
    )


def test_publishing_a_result_announces_it_once_with_its_public_address():
    manager = StaffFactory(role="campaign_manager")
    campaign = _closed_vote()
    campaign_publish_results(campaign_id=campaign.pk, actor=manager)
    assert _payloads("referendums.results_published") == [
        {
            "campaign_id": campaign.pk,
            "title": campaign.title_fr,
            "url": f"/referendums/{campaign.pk}/results/",
        }
    ]


def test_a_vote_not_yet_closed_publishes_and_announces_nothing():
    manager = StaffFactory(role="campaign_manager")
    campaign = CampaignFactory(status=CampaignStatus.DRAFT)
    with pytest.raises(InvalidTransition):
        campaign_publish_results(campaign_id=campaign.pk, actor=manager)
    assert not _payloads("referendums.results_published")


def test_a_closed_vote_without_its_tally_announces_nothing():
    manager = StaffFactory(role="campaign_manager")
    campaign = _closed_vote()
    Campaign.objects.filter(pk=campaign.pk).update(results=None)
    with pytest.raises(Conflict):
        campaign_publish_results(campaign_id=campaign.pk, actor=manager)
    assert not _payloads("referendums.results_published")
