"""Fixtures of the assembly tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from assembly.models import FeatureKind, Mandate, MandateStatus, Member, Session, SessionStatus
from assembly.services import commitment as commitments
from assembly.services import composition, draw, recruitment
from tests.assembly.drand_relay import Relays, drand_relays
from tests.assembly.factories import MandateFactory, MemberFactory, SessionFactory
from tests.factories import DistrictFactory, RegisterEntryFactory, StaffFactory


@pytest.fixture(scope="session")
def _drand_server() -> Any:
    with drand_relays() as relays:
        yield relays


@pytest.fixture(autouse=True)
def drand(_drand_server: Relays, settings: Any) -> Relays:
    """Two local drand relays (see `tests.assembly.drand_relay`), configured for the draw."""
    _drand_server.recorded.clear()
    _drand_server.lying.clear()
    _drand_server.down.clear()
    _drand_server.requests.clear()
    settings.ASSEMBLY_DRAND_RELAYS = _drand_server.urls("relay-a", "relay-b")
    settings.ASSEMBLY_DRAND_TIMEOUT = 5
    return _drand_server


@pytest.fixture
def clerk(db):  # type: ignore[no-untyped-def]
    return StaffFactory(role="assembly_clerk")


@pytest.fixture
def staff(clerk):  # type: ignore[no-untyped-def]
    """A browser session of the clerk (the admin and the clerk's pages)."""
    client = Client()
    client.force_login(clerk)
    return client


@pytest.fixture
def recruiting(db, clerk) -> Callable[..., Mandate]:  # type: ignore[no-untyped-def]
    """`recruiting(volunteers=[("f", "nord"), ...])`: a mandate of 4 seats (2 women, 2 men, 1 to 3
    per district) in recruitment, with those volunteers signed up through the real service."""

    def make(
        volunteers: list[tuple[str, str]],
        *,
        size: int = 4,
        reserve_size: int = 3,
        gender_quota: tuple[int, int] = (2, 2),
    ) -> Mandate:
        nord = DistrictFactory(code="nord", name="Nord")
        sud = DistrictFactory(code="sud", name="Sud")
        mandate = MandateFactory(size=size, reserve_size=reserve_size)
        composition.feature_add(
            mandate_id=mandate.pk,
            actor=clerk,
            key="genre",
            label="Genre",
            kind=FeatureKind.GENDER,
            quotas=[("f", "Femme", *gender_quota), ("m", "Homme", *gender_quota)],
        )
        composition.feature_add(
            mandate_id=mandate.pk,
            actor=clerk,
            key="quartier",
            label="Quartier",
            kind=FeatureKind.DISTRICT,
            quotas=[("nord", "Nord", 1, 3), ("sud", "Sud", 1, 3)],
        )
        composition.mandate_open_recruitment(mandate_id=mandate.pk, actor=clerk)
        districts = {"nord": nord, "sud": sud}
        for gender, district in volunteers:
            entry = RegisterEntryFactory(district=districts[district])
            invitation = recruitment.Invitation.objects.create(
                mandate=mandate,
                batch=recruitment.InvitationBatch.objects.get_or_create(
                    mandate=mandate, defaults={"seed": "t", "requested": 0, "population": 0}
                )[0],  # no digest: a batch of before, its sample made by the test itself
                register_entry=entry,
            )
            recruitment.volunteer_signup(
                token=recruitment.invitation_token(invitation),
                declared={"genre": gender},
                consent=True,
            )
        mandate.refresh_from_db()
        return mandate

    return make


BALANCED_POOL = [
    ("f", "nord"),
    ("f", "nord"),
    ("f", "sud"),
    ("f", "sud"),
    ("m", "nord"),
    ("m", "nord"),
    ("m", "sud"),
    ("m", "sud"),
    ("f", "nord"),
    ("m", "sud"),
]
# One woman where the quotas want two: no panel meets them.
INFEASIBLE_POOL = [("f", "nord"), ("m", "nord"), ("m", "sud"), ("m", "sud"), ("m", "nord")]


def publish_and_draw(mandate: Mandate, clerk: Any, freeze: Any) -> Any:
    """Publish the commitment, then draw once its drand round is produced (the local relays)."""
    start = timezone.now()
    freeze(start)
    commitments.commitment_publish(
        mandate_id=mandate.pk, actor=clerk, seed_expected_at=start + timedelta(days=2)
    )
    freeze(start + timedelta(days=3))
    return draw.draw_run(mandate_id=mandate.pk, actor=clerk)


@pytest.fixture
def seated(db) -> Callable[..., tuple[Mandate, list[Member]]]:  # type: ignore[no-untyped-def]
    """`seated(members=5, quorum_percent=50)`: a seated mandate with active members (no solver)."""

    def make(members: int = 5, quorum_percent: int = 50) -> tuple[Mandate, list[Member]]:
        mandate = MandateFactory(seated=True, size=members, quorum_percent=quorum_percent)
        return mandate, [MemberFactory(mandate=mandate, seat=i + 1) for i in range(members)]

    return make


@pytest.fixture
def open_session(seated, clerk):  # type: ignore[no-untyped-def]
    """An open session of a seated mandate of 5 members, none present yet."""
    mandate, members = seated()
    session = SessionFactory(
        mandate=mandate,
        status=SessionStatus.OPEN,
        starts_at=timezone.now(),
        opened_at=timezone.now(),
    )
    return session, members


__all__ = ["BALANCED_POOL", "MandateStatus", "Session", "publish_and_draw"]
