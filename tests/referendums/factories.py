"""Factories of the referendums app."""

from __future__ import annotations

from datetime import date, timedelta

import factory
from django.utils import timezone

from referendums.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    Option,
    PollingStation,
    Question,
    StationElectorate,
    VotingMethod,
)
from tests.factories import DistrictFactory


class CampaignFactory(factory.django.DjangoModelFactory):
    """An online vote in draft whose campaign opened two days ago and whose vote is open now
    (for the clock; `status` says where the lifecycle is). Traits: `binding` (paper)."""

    class Meta:
        model = Campaign
        skip_postgeneration_save = True

    kind = CampaignKind.ONLINE_VOTE
    voting_method = VotingMethod.ONLINE
    status = CampaignStatus.DRAFT
    title_fr = factory.Sequence(lambda n: f"Votation n°{n}")
    title_en = factory.Sequence(lambda n: f"Vote no. {n}")
    cutoff_date = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=3))
    campaign_opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=2))
    voting_opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    voting_closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))

    class Params:
        binding = factory.Trait(
            kind=CampaignKind.BINDING_REFERENDUM,
            voting_method=VotingMethod.PAPER,
            quorum_percent=50,
            majority_rule="simple",
        )

    @classmethod
    def _create(cls, model_class: type[Campaign], *args: object, **kwargs: object) -> Campaign:
        # The database freezes the questions from scheduling on: the campaign is written as a
        # draft, gets its questions, then takes its status (see `questions`).
        status = kwargs.pop("status", CampaignStatus.DRAFT)
        opened_at = kwargs.pop("opened_at", None)
        campaign = super()._create(model_class, *args, **kwargs)
        campaign._factory_status = (status, opened_at)  # type: ignore[attr-defined]
        return campaign  # type: ignore[no-any-return]

    @factory.post_generation
    def questions(obj: Campaign, create: bool, extracted: int | None, **kwargs: object) -> None:
        if not create:
            return
        for position in range(1, (extracted or 1) + 1):
            question = Question.objects.create(
                campaign=obj, position=position, text_fr=f"Question {position} ?"
            )
            Option.objects.create(
                question=question, key="o1", meaning="yes", position=1, label_fr="Oui"
            )
            Option.objects.create(
                question=question, key="o2", meaning="no", position=2, label_fr="Non"
            )
        status, opened_at = getattr(obj, "_factory_status", (obj.status, obj.opened_at))
        if (status, opened_at) != (obj.status, obj.opened_at):
            Campaign.objects.filter(pk=obj.pk).update(status=status, opened_at=opened_at)
            obj.status, obj.opened_at = status, opened_at


def freeze_stations(campaign: Campaign, electors: dict[PollingStation, int]) -> None:
    """A paper vote's electorate frozen with these electors per station (as the clock's freeze
    leaves it), for tests that start at the close."""
    StationElectorate.objects.bulk_create(
        [StationElectorate(campaign=campaign, station=s, electors=n) for s, n in electors.items()]
    )
    total = sum(electors.values())
    Campaign.objects.filter(pk=campaign.pk).update(
        electorate_count=total, electorate_frozen_at=timezone.now()
    )
    campaign.refresh_from_db()


class PollingStationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PollingStation

    code = factory.Sequence(lambda n: f"b{n:03d}")
    name = factory.Sequence(lambda n: f"Bureau {n}")
    district = factory.SubFactory(DistrictFactory)
    registered_electors = 1000


def a_sunday(after: date) -> date:
    day = after
    while day.weekday() != 6:
        day += timedelta(days=1)
    return day
