"""factory_boy factories of the civic core; apps add theirs in tests/<app>/factories.py."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import factory
from allauth.mfa import app_settings
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.contrib.auth.models import Group
from django.utils import timezone

from civic.identity import identity_hash
from civic.models import District, EntryKind, RegisterEntry, User, VerificationMethod
from civic.roles import roles_sync


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"d{n:02d}")
    name = factory.Sequence(lambda n: f"Quartier {n:02d}")


class RegisterEntryFactory(factory.django.DjangoModelFactory):
    """An elector on the main roll by default; traits: `eu`, `resident_only`, `minor16`, `child`."""

    class Meta:
        model = RegisterEntry

    ref = factory.Sequence(lambda n: f"REF-{n:07d}")
    kind = EntryKind.ELECTOR
    last_name = factory.Faker("last_name", locale="fr_FR")
    first_names = factory.Faker("first_name", locale="fr_FR")
    # A different adult birth date for each entry: random names alone repeat (the Faker lists are
    # short), and two entries with one identity are one person to the signing constraints, which
    # made a signature of a test's crowd vanish as a "duplicate" now and then.
    birth_date = factory.Sequence(lambda n: date(1980, 5, 17) - timedelta(days=n % 10_000))
    address = factory.Faker("street_address", locale="fr_FR")
    postcode = "86000"
    district = factory.SubFactory(DistrictFactory)
    roll_number = factory.Sequence(lambda n: f"R{n:08d}")
    identity_hash = factory.LazyAttribute(
        lambda o: identity_hash(
            last_name=o.last_name, first_names=o.first_names, birth_date=o.birth_date
        )
    )
    # `active=False` makes a struck-off entry (the database ties one to the other).
    active = True
    struck_off_at = factory.LazyAttribute(
        lambda o: None if o.active else datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    )
    struck_off_reason = factory.LazyAttribute(lambda o: "" if o.active else "left_roll")

    class Params:
        eu = factory.Trait(kind=EntryKind.EU_ELECTOR)
        resident_only = factory.Trait(kind=EntryKind.RESIDENT, roll_number=None)
        # A resident aged 16 or 17 today (charter petitions yes, votes no).
        minor16 = factory.Trait(
            kind=EntryKind.RESIDENT,
            roll_number=None,
            birth_date=factory.LazyFunction(lambda: date(timezone.localdate().year - 17, 1, 1)),
        )
        child = factory.Trait(
            kind=EntryKind.RESIDENT,
            roll_number=None,
            birth_date=factory.LazyFunction(lambda: date(timezone.localdate().year - 12, 1, 1)),
        )


class UserFactory(factory.django.DjangoModelFactory):
    """An unverified account."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def _save(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            obj.save()

    @factory.post_generation
    def second_factor(obj: User, create: bool, extracted: bool | None, **kwargs: Any) -> None:
        """Staff and superusers enrol TOTP (STAFF_TOTP_SECRET) and recovery codes, as every staff
        account must before it holds a role; `second_factor=False` leaves one without."""
        if create and (obj.is_staff or obj.is_superuser) and extracted is not False:
            enrol_second_factor(obj)


class ResidentFactory(UserFactory):
    """A verified resident: linked to a register entry (an elector unless `entry__...` says)."""

    register_entry = factory.SubFactory(RegisterEntryFactory)
    verified_at = factory.LazyFunction(timezone.now)
    verification_method = VerificationMethod.MATCH


class StaffFactory(UserFactory):
    """`StaffFactory(role="moderator")`: staff holding one role."""

    is_staff = True

    @factory.post_generation
    def role(obj: User, create: bool, extracted: str | None, **kwargs: Any) -> None:
        if not create or not extracted:
            return
        if not Group.objects.filter(name=extracted).exists():
            roles_sync()
        obj.groups.add(Group.objects.get(name=extracted))


# Base32, published: tests log staff in through the form with `totp_code()`.
STAFF_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def enrol_second_factor(user: User) -> list[str]:
    """Enrol TOTP under STAFF_TOTP_SECRET and recovery codes; returns the recovery codes."""
    TOTP.activate(user, STAFF_TOTP_SECRET)
    user._civic_second_factor = True  # type: ignore[attr-defined]
    return RecoveryCodes.activate(user).generate_codes()


# A code is read in the next period when its own ends sooner than this: the server checks it a
# moment later, and refuses a code whose period has ended (no tolerance is configured). Without it,
# a staff login that happened to straddle the end of a period failed its second step.
TOTP_MARGIN_SECONDS = 3.0


def totp_code(secret: str = STAFF_TOTP_SECRET, *, offset: int = 0) -> str:
    """The TOTP code of `secret` now (`offset` periods later), never one about to expire."""
    period = app_settings.TOTP_PERIOD
    left = period - time.time() % period
    if left < TOTP_MARGIN_SECONDS:
        time.sleep(left)
    counter = int(time.time()) // period + offset
    return format_hotp_value(hotp_value(secret, counter))


def api_key_for(user: User) -> str:
    """A new API token for `user`, as the client presents it (`civ_<id>_<secret>`)."""
    from civic.services.tokens import api_token_create

    return api_token_create(user=user)[1]
