"""The citizens' assembly and the referendums app hand work to each other by domain events."""

from datetime import timedelta

import pytest
from django.utils import timezone

from assembly.models import AgendaItem, SourceKind
from civic.events import events_drain, publish
from civic.models import AuditEntry, DomainEvent, Notification
from referendums.models import Campaign, CampaignKind, CampaignStatus, OriginKind
from tests.factories import ResidentFactory, StaffFactory

pytestmark = pytest.mark.django_db


def _refer(actor, recommendation_id=1, title="Végétaliser les cours d'école"):
    """What the assembly publishes when the clerk refers an adopted recommendation."""
    publish(
        "assembly.recommendation_referred",
        recommendation_id=recommendation_id,
        mandate_id=1,
        title=title,
        text="L'assemblée recommande...",
        source_url="/assembly/1/recommendations/",
        actor_id=actor.pk,
    )
    events_drain()


def test_a_recommendation_becomes_a_draft_consultation_managers_are_told_of():
    clerk = StaffFactory(role="assembly_clerk")
    manager = StaffFactory(role="campaign_manager")
    _refer(clerk)
    campaign = Campaign.objects.get(origin_kind=OriginKind.ASSEMBLY, origin_id=1)
    assert (campaign.kind, campaign.status, campaign.origin_kind) == (
        CampaignKind.ADVISORY_CONSULTATION,
        CampaignStatus.DRAFT,
        OriginKind.ASSEMBLY,
    )
    assert campaign.voting_opens_at > timezone.now() + timedelta(days=100)
    [question] = campaign.questions.all()
    assert question.text_fr == "Végétaliser les cours d'école"
    assert sorted(question.options.values_list("key", "meaning")) == [("o1", "yes"), ("o2", "no")]
    assert AuditEntry.objects.filter(verb="referendum.draft_from_assembly", actor=clerk).exists()
    assert Notification.objects.filter(
        recipient=manager, kind="referendum_draft_from_assembly"
    ).exists()
    assert DomainEvent.objects.filter(
        name="referendums.draft_created", payload__campaign_id=campaign.pk
    ).exists()


@pytest.mark.parametrize("who", ["resident", "moderator"])
def test_only_the_clerk_or_a_manager_may_start_a_draft(who):
    actor = ResidentFactory() if who == "resident" else StaffFactory(role=who)
    _refer(actor, title="t")
    assert not Campaign.objects.exists()


def test_an_unpublished_result_is_not_put_on_the_agenda():
    _refer(StaffFactory(role="assembly_clerk"), title="t")
    assert Campaign.objects.get().status == CampaignStatus.DRAFT
    assert not DomainEvent.objects.filter(name="referendums.results_published").exists()
    events_drain()
    assert not AgendaItem.objects.filter(source_kind=SourceKind.REFERENDUM_RESULT).exists()
