"""A small seeded city shared by the browser, accessibility and security tests.

One account per role the authorisation matrix names, every one with a verified e-mail address so
the real login form works, plus register entries a newcomer can verify against and a notification
in the resident's inbox (so the inbox page renders a message, not only its empty state).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from allauth.account.models import EmailAddress

from civic.models import Notification, RegisterEntry, User
from civic.roles import Role
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

    def user(self, role: str) -> User | None:
        return self.users.get(role)


def _with_verified_email(user: User) -> User:
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user


def seed_world() -> World:
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
    return world
