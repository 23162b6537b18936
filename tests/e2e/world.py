"""A small seeded city shared by the browser, accessibility and security tests.

One account per role the authorisation matrix names, every one with a verified e-mail address so
the real login form works, plus register entries a newcomer can verify against and a notification
in the resident's inbox (so the inbox page renders a message, not only its empty state).

`seed_world(instruments=True)` (the browser suite) adds one object in each state a page of the three
instruments shows, seeded through the apps' factories and services: initiatives collecting (one
the resident has signed), one waiting for a moderator; an online vote open now, one whose results
are published, a closed binding paper referendum with its polling stations; a seated assembly with
its members and a published session. The authorisation matrix seeds the world once per module and
needs none of it. The browser tests and the live-server security suites get theirs from
tests/e2e/world_snapshot.py: seeded once per test process, put back before each test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from django.core.cache import cache
from django.utils import timezone

from assembly.models import Mandate, Member, Session
from civic.models import District, Notification, RegisterEntry, User
from civic.roles import Role
from petitions.models import Initiative
from referendums.models import Campaign, PollingStation
from tests.factories import (
    DistrictFactory,
    RegisterEntryFactory,
    ResidentFactory,
    StaffFactory,
    UserFactory,
)

PASSWORD = "correct horse battery"  # UserFactory's password
STAFF_ROLES = tuple(role.value for role in Role)
# Every role of the authorisation matrix, in the order reports print them.
ROLES = ("anonymous", "unverified", "resident", "other_resident", *STAFF_ROLES)


@dataclass
class World:
    users: dict[str, User] = field(default_factory=dict)
    # A register entry nobody has claimed yet: a newcomer verifies against it.
    free_entry: RegisterEntry | None = None
    notification: Notification | None = None
    other_notification: Notification | None = None
    # Pages only an e-mail reaches: an e-mail confirmation and a password reset, with live keys.
    emailed_urls: list[str] = field(default_factory=list)

    seeded_instruments: Instruments | None = None

    def user(self, role: str) -> User | None:
        return self.users.get(role)

    @property
    def instruments(self) -> Instruments:
        if self.seeded_instruments is None:
            raise AssertionError("the instruments are seeded by seed_world(instruments=True)")
        return self.seeded_instruments


@dataclass
class Instruments:
    """One object in each state a page of the instruments shows."""

    initiative: Initiative  # collecting, nobody has signed it
    signed_initiative: Initiative  # collecting, the resident has signed it
    submitted_initiative: Initiative  # waits for a moderator
    open_vote: Campaign  # online, voting now; the residents are in its electorate
    published_vote: Campaign  # online, closed, results published
    paper_referendum: Campaign  # binding, on paper, closed: its sheets are keyed
    stations: list[PollingStation]
    mandate: Mandate  # seated, with quotas and members
    members: list[Member]
    session: Session  # agenda published


def _with_verified_email(user: User) -> User:
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user


def seed_world(*, instruments: bool = False) -> World:
    district = DistrictFactory(code="centre", name="Centre-ville")
    world = World()
    world.users["unverified"] = _with_verified_email(UserFactory(email="newcomer@example.org"))
    world.users["resident"] = _with_verified_email(
        ResidentFactory(email="resident@example.org", register_entry__district=district)
    )
    world.users["other_resident"] = _with_verified_email(
        ResidentFactory(email="neighbour@example.org", register_entry__district=district)
    )
    for role in STAFF_ROLES:
        world.users[role] = _with_verified_email(
            StaffFactory(email=f"{role.replace('_', '-')}@example.org", role=role)
        )
    world.free_entry = RegisterEntryFactory(
        ref="E2E-0001",
        last_name="Martin",
        first_names="Camille",
        birth_date=date(1984, 3, 27),
        roll_number="R-E2E-1",
        district=district,
    )
    world.notification = Notification.objects.create(
        recipient=world.users["resident"],
        kind="welcome",
        subject="Bienvenue",
        body="Votre compte est prêt.",
        url="/",
    )
    world.other_notification = Notification.objects.create(
        recipient=world.users["other_resident"],
        kind="welcome",
        subject="Bienvenue",
        body="Votre compte est prêt.",
        url="/",
    )
    pending = UserFactory(email="pending@example.org")
    address = EmailAddress.objects.create(
        user=pending, email=pending.email, verified=False, primary=True
    )
    world.emailed_urls.append(f"/accounts/confirm-email/{EmailConfirmationHMAC(address).key}/")
    reset_user = world.users["other_resident"]
    world.emailed_urls.append(
        f"/accounts/password/reset/key/{user_pk_to_url_str(reset_user)}-"
        f"{default_token_generator.make_token(reset_user)}/"
    )
    if instruments:
        world.seeded_instruments = seed_instruments(world, district)
    return world


def forget_instrument_memos() -> None:
    """Rate limits, cached counts and per-process memos outlive a test, and ids may repeat
    between tests: every browser test starts from a clean slate."""
    from petitions.selectors import count_memo_forget
    from petitions.services.signatures import open_memo_forget

    cache.clear()
    count_memo_forget()
    open_memo_forget()


def seed_instruments(world: World, district: District) -> Instruments:
    from assembly.models import FeatureKind, MandateStatus, SessionStatus
    from assembly.services import composition
    from petitions import services as petitions
    from petitions.models import Status
    from referendums.models import CampaignStatus
    from referendums.services.campaigns import (
        campaign_publish_results,
        campaigns_advance,
        voting_close_due,
    )
    from referendums.services.voting import ballot_cast
    from tests.assembly.factories import MandateFactory, MemberFactory, SessionFactory
    from tests.petitions.factories import InitiativeFactory
    from tests.referendums.factories import (
        CampaignFactory,
        PollingStationFactory,
        freeze_stations,
    )

    forget_instrument_memos()
    resident, neighbour = world.users["resident"], world.users["other_resident"]
    objects: dict[str, Any] = {}

    # Initiatives: one collecting that nobody has signed (the journeys sign it), one the resident
    # has signed (their "my signatures" page lists it), one submitted for a moderator.
    objects["initiative"] = InitiativeFactory(
        collecting=True, title="Des arbres rue Carnot", initiator=neighbour, district=district
    )
    objects["signed_initiative"] = InitiativeFactory(
        collecting=True, title="Un marché le dimanche", initiator=neighbour
    )
    petitions.signature_sign(initiative_id=objects["signed_initiative"].pk, user=resident)
    petitions.counts_tick()
    objects["submitted_initiative"] = InitiativeFactory(
        status=Status.SUBMITTED,
        submitted_at=timezone.now(),
        title="Une piscine ouverte l'été",
        initiator=neighbour,
    )

    # Referendums: an online vote open now and one already counted and published (both frozen
    # their electorate when the clock job opened them), and a closed paper referendum.
    objects["open_vote"] = CampaignFactory(
        status=CampaignStatus.SCHEDULED,
        title_fr="Faut-il piétonniser la place du marché ?",
        title_en="Should the market square be pedestrianised?",
    )
    objects["published_vote"] = CampaignFactory(
        status=CampaignStatus.SCHEDULED,
        title_fr="Faut-il éclairer le parc la nuit ?",
        title_en="Should the park be lit at night?",
    )
    campaigns_advance()
    published = objects["published_vote"]
    question = str(published.questions.get().pk)
    ballot_cast(campaign_id=published.pk, user=neighbour, choices={question: "o1"})
    type(published).objects.filter(pk=published.pk).update(
        voting_closes_at=timezone.now() - timedelta(seconds=1)
    )
    voting_close_due(campaign_id=published.pk)
    campaign_publish_results(campaign_id=published.pk, actor=world.users["campaign_manager"])
    for key in ("open_vote", "published_vote"):
        objects[key].refresh_from_db()
    assert objects["open_vote"].status == CampaignStatus.VOTING
    assert objects["published_vote"].status == CampaignStatus.RESULTS_PUBLISHED
    objects["stations"] = [
        PollingStationFactory(
            code=f"bv{n}", name=f"École {name}", address=address, district=district
        )
        for n, name, address in (
            (1, "Jules Ferry", "3 rue Carnot"),
            (2, "Paul Bert", "12 allée d'Iéna"),
        )
    ]
    objects["paper_referendum"] = CampaignFactory(
        binding=True,
        status=CampaignStatus.CLOSED,
        opened_at=timezone.now(),
        closed_at=timezone.now(),
        title_fr="Référendum : création d'une ligne de tramway",
        title_en="Referendum: a new tram line",
    )
    freeze_stations(objects["paper_referendum"], dict.fromkeys(objects["stations"], 1000))

    # The assembly: seated, with quotas, members and a session whose agenda is published.
    mandate = MandateFactory(title="Assemblée citoyenne 2026", size=4, reserve_size=2)
    composition.feature_add(
        mandate_id=mandate.pk,
        actor=world.users["assembly_clerk"],
        key="quartier",
        label="Quartier",
        kind=FeatureKind.DISTRICT,
        quotas=[(district.code, district.name, 2, 4)],
    )
    type(mandate).objects.filter(pk=mandate.pk).update(status=MandateStatus.SEATED)
    mandate.refresh_from_db()
    objects["mandate"] = mandate
    objects["members"] = [
        MemberFactory(mandate=mandate, seat=seat, district_name=district.name)
        for seat in range(1, 5)
    ]
    objects["session"] = SessionFactory(
        mandate=mandate, title="Séance d'ouverture", status=SessionStatus.PUBLISHED
    )
    return Instruments(**objects)
