"""Factories of the assembly app. A seated mandate with members skips the solver (sessions tests);
the draw itself is exercised through the services in test_composition."""

from __future__ import annotations

from datetime import date, timedelta

import factory
from django.utils import timezone

from assembly.models import (
    Invitation,
    InvitationBatch,
    InvitationStatus,
    Mandate,
    MandateStatus,
    Member,
    MemberSource,
    Session,
    SessionStatus,
    Volunteer,
)
from tests.factories import RegisterEntryFactory


class MandateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mandate

    title = factory.Sequence(lambda n: f"Assemblée {n}")
    starts_on = date(2026, 1, 1)
    ends_on = date(2027, 1, 1)
    size = 4
    reserve_size = 3
    status = MandateStatus.DRAFT

    class Params:
        seated = factory.Trait(status=MandateStatus.SEATED)
        recruiting = factory.Trait(status=MandateStatus.RECRUITING)


class InvitationBatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InvitationBatch

    mandate = factory.SubFactory(MandateFactory)
    seed = "test"
    requested = 1
    population = 1


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    mandate = factory.SubFactory(MandateFactory)
    batch = factory.SubFactory(InvitationBatchFactory, mandate=factory.SelfAttribute("..mandate"))
    register_entry = factory.SubFactory(RegisterEntryFactory)


class VolunteerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Volunteer

    mandate = factory.SubFactory(MandateFactory)
    invitation = factory.SubFactory(
        InvitationFactory,
        mandate=factory.SelfAttribute("..mandate"),
        status=InvitationStatus.ACCEPTED,
        answered_at=factory.LazyFunction(timezone.now),
    )
    register_entry = factory.SelfAttribute("invitation.register_entry")
    pseudonym = factory.Sequence(lambda n: f"V-{n:010d}")
    features = factory.LazyFunction(dict)
    consent_at = factory.LazyFunction(timezone.now)


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    mandate = factory.SubFactory(MandateFactory, seated=True)
    volunteer = factory.SubFactory(VolunteerFactory, mandate=factory.SelfAttribute("..mandate"))
    seat = factory.Sequence(lambda n: n + 1)
    source = MemberSource.DRAW
    first_name = factory.Faker("first_name", locale="fr_FR")
    district_name = "Centre"
    joined_at = factory.LazyFunction(timezone.now)


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    mandate = factory.SubFactory(MandateFactory, seated=True)
    title = factory.Sequence(lambda n: f"Séance {n}")
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=10))
    place = "Hôtel de ville"
    capacity_minutes = 120
    status = SessionStatus.PLANNED
