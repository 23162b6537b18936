"""A small seeded city shared by the browser, accessibility and security tests.

One account per role the authorisation matrix names, every one with a verified e-mail address so
the real login form works, plus register entries a newcomer can verify against and a notification
in the resident's inbox (so the inbox page renders a message, not only its empty state).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str

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
    # Pages only an e-mail reaches: an e-mail confirmation and a password reset, with live keys.
    emailed_urls: list[str] = field(default_factory=list)

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
    return world
