"""The assembly's side of the referral of a recommendation: the clerk asks, the referendums app
makes the draft, the assembly records it; all through the agreed events (neither app imports the
other)."""

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
from referendums.models import Campaign, OriginKind
from tests.assembly.factories import MandateFactory, SessionFactory
from tests.factories import ResidentFactory, StaffFactory

pytestmark = pytest.mark.django_db


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
    events_drain()  # E3 to the referendums app, which publishes E4
    events_drain()  # E4 back to the assembly
    campaign = Campaign.objects.get()
    assert (campaign.origin_kind, campaign.origin_id) == (OriginKind.ASSEMBLY, rec.pk)
    rec.refresh_from_db()
    assert (rec.status, rec.target_kind, rec.target_id) == (
        RecommendationStatus.REFERENDUM,
        "referendums.campaign",
        campaign.pk,
    )
    assert events_drain() == 0  # nothing left: no second draft
    assert Campaign.objects.count() == 1


@pytest.mark.parametrize("who", ["resident", "moderator"])
def test_only_the_clerk_or_a_manager_may_have_a_draft_made(who):
    actor = ResidentFactory() if who == "resident" else StaffFactory(role=who)
    rec = _adopted_recommendation()
    with pytest.raises(PermissionDenied):
        recommendation_convert_to_referendum(recommendation_id=rec.pk, actor=actor)
    events_drain()
    assert not Campaign.objects.exists()


def test_a_draft_made_from_a_recommendation_puts_nothing_on_the_agenda():
    clerk = StaffFactory(role="assembly_clerk")
    SessionFactory(mandate=MandateFactory(seated=True))
    recommendation_convert_to_referendum(
        recommendation_id=_adopted_recommendation().pk, actor=clerk
    )
    events_drain()  # a draft exists; no result was published
    assert not AgendaItem.objects.filter(source_kind=SourceKind.REFERENDUM_RESULT).exists()
    assert not AgendaRequest.objects.exists()
