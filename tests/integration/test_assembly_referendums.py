"""The citizens' assembly and the referendums app hand work to each other."""

from datetime import timedelta

import pytest
from django.utils import timezone

from assembly.models import (
    AgendaItem,
    AgendaRequest,
    Recommendation,
    RecommendationStatus,
    SourceKind,
)
from assembly.services.recommendations import recommendation_convert_to_referendum
from civic.errors import PermissionDenied
from civic.events import events_drain
from civic.models import AuditEntry, Notification
from referendums.interfaces import campaign_draft_from_recommendation
from referendums.models import Campaign, CampaignKind, CampaignStatus, OriginKind
from tests.assembly.factories import MandateFactory, SessionFactory
from tests.factories import ResidentFactory, StaffFactory

pytestmark = pytest.mark.django_db


def test_a_recommendation_becomes_a_draft_consultation_managers_are_told_of():
    clerk = StaffFactory(role="assembly_clerk")
    manager = StaffFactory(role="campaign_manager")
    draft_id = campaign_draft_from_recommendation(
        recommendation_id=1,
        title="Végétaliser les cours d'école",
        text="L'assemblée recommande...",
        source_url="/assembly/1/recommendations/",
        actor=clerk,
    )
    campaign = Campaign.objects.get(pk=draft_id)
    assert (campaign.kind, campaign.status, campaign.origin_kind) == (
        CampaignKind.ADVISORY_CONSULTATION,
        CampaignStatus.DRAFT,
        OriginKind.ASSEMBLY,
    )
    assert campaign.voting_opens_at > timezone.now() + timedelta(days=100)
    [question] = campaign.questions.all()
    assert question.text_fr == "Végétaliser les cours d'école"
    assert sorted(question.options.values_list("key", flat=True)) == ["no", "yes"]
    assert AuditEntry.objects.filter(verb="referendum.draft_from_assembly", actor=clerk).exists()
    assert Notification.objects.filter(
        recipient=manager, kind="referendum_draft_from_assembly"
    ).exists()


@pytest.mark.parametrize("who", ["resident", "moderator"])
def test_only_the_clerk_or_a_manager_may_start_a_draft(who):
    actor = ResidentFactory() if who == "resident" else StaffFactory(role=who)
    with pytest.raises(PermissionDenied):
        campaign_draft_from_recommendation(
            recommendation_id=1, title="t", text="x", source_url="/", actor=actor
        )
    assert not Campaign.objects.exists()


# --- The assembly's side, through the events both apps agreed on ----------------------------------


def _adopted_recommendation() -> Recommendation:
    return Recommendation.objects.create(
        mandate=MandateFactory(seated=True),
        title="Végétaliser les cours d'école",
        text="L'assemblée recommande...",
        adopted_at=timezone.now(),
    )


def test_a_recommendation_the_clerk_converts_becomes_a_draft_it_is_linked_to():
    clerk = StaffFactory(role="assembly_clerk")
    rec = _adopted_recommendation()
    recommendation_convert_to_referendum(recommendation_id=rec.pk, actor=clerk)
    events_drain()  # E3 to the referendums app, then E4 back to the assembly
    campaign = Campaign.objects.get()
    assert (campaign.origin_kind, campaign.origin_id) == (OriginKind.ASSEMBLY, rec.pk)
    rec.refresh_from_db()
    assert (rec.status, rec.target_kind, rec.target_id) == (
        RecommendationStatus.REFERENDUM,
        "referendums.campaign",
        campaign.pk,
    )
    events_drain()  # nothing left: a second drain makes no second draft
    assert Campaign.objects.count() == 1


@pytest.mark.parametrize("who", ["resident", "moderator"])
def test_only_the_clerk_or_a_manager_may_have_a_draft_made(who):
    actor = ResidentFactory() if who == "resident" else StaffFactory(role=who)
    rec = _adopted_recommendation()
    with pytest.raises(PermissionDenied):
        recommendation_convert_to_referendum(recommendation_id=rec.pk, actor=actor)
    events_drain()
    assert not Campaign.objects.exists()


def test_an_unpublished_result_is_not_put_on_the_agenda():
    clerk = StaffFactory(role="assembly_clerk")
    SessionFactory(mandate=MandateFactory(seated=True))
    recommendation_convert_to_referendum(
        recommendation_id=_adopted_recommendation().pk, actor=clerk
    )
    events_drain()  # a draft exists; no result was published
    assert not AgendaItem.objects.filter(source_kind=SourceKind.REFERENDUM_RESULT).exists()
    assert not AgendaRequest.objects.exists()
