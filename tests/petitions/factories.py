"""Factories of the petitions app. `InitiativeFactory(collecting=True)` opens the collection."""

from __future__ import annotations

import importlib
from datetime import timedelta
from typing import Any

import factory
from django.utils import timezone

from petitions.models import (
    TOTAL_TRACK,
    Initiative,
    InitiativeCount,
    InitiativeTrack,
    InstrumentType,
    Status,
    TrackRung,
)
from tests.factories import ResidentFactory

CHARTER = "interpellation-charte"
LEGAL = "consultation-l1112-16"


def instrument(slug: str) -> InstrumentType:
    """A shipped instrument type. Tests that run in transactions (live server, threads) flush the
    tables, data migrations included: the shipped data is put back when it is missing."""
    if not InstrumentType.objects.filter(slug=slug).exists():
        from django.apps import apps

        shipped = importlib.import_module("petitions.migrations.0002_shipped_instruments")
        shipped.forwards(apps, None)
    return InstrumentType.objects.get(slug=slug)


class InitiativeFactory(factory.django.DjangoModelFactory):
    """A draft on the charter track by default. `instruments=[CHARTER, LEGAL]` picks the tracks;
    traits `collecting`, `closed` open the collection with the thresholds resolved."""

    class Meta:
        model = Initiative
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Initiative {n}")
    summary = "Un résumé."
    body = "Le texte complet."
    initiator = factory.SubFactory(ResidentFactory)
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyFunction(timezone.now)

    class Params:
        collecting = factory.Trait(
            status=Status.COLLECTING,
            submitted_at=factory.LazyFunction(timezone.now),
            published_at=factory.LazyFunction(timezone.now),
            closes_at=factory.LazyFunction(lambda: timezone.now() + timedelta(days=30)),
        )

    @factory.post_generation
    def instruments(obj: Initiative, create: bool, extracted: Any, **kwargs: Any) -> None:
        if not create:
            return
        slugs = extracted or [CHARTER]
        for position, slug in enumerate(slugs):
            itype = instrument(slug)
            track = InitiativeTrack.objects.create(
                initiative=obj, instrument_type=itype, position=position, predicate=itype.predicate
            )
            if obj.status in (Status.COLLECTING, Status.CLOSED):
                _resolve(track, population=kwargs.get("population"))
        if obj.status in (Status.COLLECTING, Status.CLOSED):
            positions = [TOTAL_TRACK, *range(len(slugs))]
            InitiativeCount.objects.bulk_create(
                InitiativeCount(initiative=obj, track=p, count=0, updated_at=timezone.now())
                for p in positions
            )


def _resolve(track: InitiativeTrack, *, population: int | None) -> None:
    from petitions.rules import share_threshold

    for rung in track.instrument_type.rungs.all():
        if rung.kind == "share":
            pop = population if population is not None else 100
            track.population_at_open = pop
            track.save(update_fields=["population_at_open"])
            threshold = share_threshold(
                population=pop, numerator=rung.numerator, denominator=rung.denominator
            )
        else:
            threshold = rung.absolute_value
        TrackRung.of_rung(track, rung, threshold=threshold).save()
