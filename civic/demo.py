"""The demo city: districts, a register, a staff account per role and verified residents.

Everything is keyed (district code, register ref, e-mail), so seeding twice changes nothing, and the
generator is seeded, so every machine gets the same city.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from civic.identity import identity_hash
from civic.models import (
    DeskReason,
    DeskRequest,
    District,
    EntryKind,
    RegisterEntry,
    User,
    VerificationMethod,
)
from civic.roles import Role, roles_sync

DISTRICTS = [
    ("centre", "Centre-ville"),
    ("gibauderie", "Gibauderie"),
    ("couronneries", "Couronneries"),
    ("trois-cites", "Trois-Cités"),
    ("saint-eloi", "Saint-Éloi"),
    ("montmidi", "Montmidi"),
    ("beaulieu", "Beaulieu"),
    ("bel-air", "Bel-Air"),
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Nguyen",
    "Diallo",
    "Rossi",
    "Kowalski",
    "Fernandes",
    "Schmidt",
]
FIRST_NAMES = [
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Inès",
    "Jade",
    "Louise",
    "Emma",
    "Lucas",
    "Hugo",
    "Louis",
    "Gabriel",
    "Arthur",
    "Jules",
    "Adam",
    "Nathan",
    "Yasmine",
    "Sofia",
    "Mohamed",
    "Karim",
    "Aïcha",
    "Hélène",
    "Éloïse",
    "Noé",
    "Théo",
    "Zoé",
]
STREETS = [
    "rue de la Cathédrale",
    "rue Carnot",
    "avenue de Nantes",
    "rue du Faubourg du Pont-Neuf",
    "boulevard Pont-Achard",
    "rue des Carmélites",
    "avenue de la Libération",
    "rue Jean Jaurès",
    "place du Maréchal Leclerc",
    "rue de la Tranchée",
]
STAFF = {
    Role.ADMINISTRATOR: "admin@example.org",
    Role.MODERATOR: "moderator@example.org",
    Role.CAMPAIGN_MANAGER: "campaigns@example.org",
    Role.ASSEMBLY_CLERK: "clerk@example.org",
    Role.AUDITOR: "auditor@example.org",
}
DEFAULT_PASSWORD = "demo-civic-2026"  # noqa: S105 - the demo's published password
# Every demo staff account's TOTP secret, published like the password (README): add it to an
# authenticator app, or print the current code with `manage.py demo_totp`. Never outside a demo.
DEMO_TOTP_SECRET = "CIVICDEMOSTAFFSECONDFACTORKEYXYZ"  # noqa: S105


@dataclass
class DemoReport:
    districts: int
    entries_created: int
    staff: list[str]
    residents_created: int
    # email -> two recovery codes still unused (each works once)
    recovery_codes: dict[str, list[str]] = field(default_factory=dict)


def _entry_values(i: int, rng: random.Random, districts: list[District], today: date) -> dict:
    if i % 10 < 7:
        kind = EntryKind.ELECTOR
    elif i % 10 < 8:
        kind = EntryKind.EU_ELECTOR
    else:
        kind = EntryKind.RESIDENT
    min_age = 18 if kind != EntryKind.RESIDENT else 14
    birth = today - timedelta(days=rng.randint(min_age * 366, 90 * 365))
    last, first = rng.choice(LAST_NAMES), rng.choice(FIRST_NAMES)
    return {
        "ref": f"DEMO-{i:06d}",
        "kind": kind,
        "last_name": last,
        "first_names": f"{first} {rng.choice(FIRST_NAMES)}",
        "birth_date": birth,
        "address": f"{rng.randint(1, 180)} {rng.choice(STREETS)}",
        "postcode": "86000",
        "district": districts[i % len(districts)],
        "roll_number": f"R{i:07d}" if kind != EntryKind.RESIDENT else None,
    }


@transaction.atomic
def seed_demo(
    *, entries: int = 3000, residents: int = 0, password: str = DEFAULT_PASSWORD
) -> DemoReport:
    if residents > entries:
        entries = residents
    today = timezone.localdate()
    districts = [
        District.objects.get_or_create(code=c, defaults={"name": n})[0] for c, n in DISTRICTS
    ]
    existing = set(
        RegisterEntry.objects.filter(ref__startswith="DEMO-").values_list("ref", flat=True)
    )
    rng = random.Random(2026)  # the same city on every machine
    new_entries = []
    for i in range(1, entries + 1):
        values = _entry_values(i, rng, districts, today)
        if values["ref"] in existing:
            continue
        new_entries.append(
            RegisterEntry(
                identity_hash=identity_hash(
                    last_name=values["last_name"],
                    first_names=values["first_names"],
                    birth_date=values["birth_date"],
                ),
                **values,
            )
        )
    RegisterEntry.objects.bulk_create(new_entries, batch_size=2000)

    roles_sync()
    hashed = make_password(password)
    staff = []
    for role, email in STAFF.items():
        user, _created = User.objects.get_or_create(
            email=email, defaults={"is_staff": True, "password": hashed, "display_name": role.label}
        )
        user.groups.add(Group.objects.get(name=role))
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        staff.append(email)
    codes = {email: _demo_second_factor(User.objects.get(email=email)) for email in staff}

    residents_created = _seed_residents(residents, hashed)
    _seed_newcomer(hashed)
    return DemoReport(len(districts), len(new_entries), staff, residents_created, codes)


def _demo_second_factor(user: User) -> list[str]:
    """Enrol the published demo TOTP secret (once) and recovery codes; two unused codes back."""
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_TOTP_SECRET)
    return RecoveryCodes.activate(user).get_unused_codes()[:2]


def demo_totp_code() -> str:
    """The current six-digit code of DEMO_TOTP_SECRET."""
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(DEMO_TOTP_SECRET, counter))


# An account whose residency is not verified yet: the pages say why it cannot sign or vote.
NEWCOMER = "newcomer@example.org"


def _seed_newcomer(hashed_password: str) -> None:
    user, _created = User.objects.get_or_create(
        email=NEWCOMER, defaults={"password": hashed_password, "display_name": "newcomer"}
    )
    EmailAddress.objects.get_or_create(
        user=user, email=NEWCOMER, defaults={"verified": True, "primary": True}
    )
    # Waiting at the desk (their first names are only partly on the register): the desk's queue
    # and its closing page have a request to show.
    DeskRequest.objects.get_or_create(
        user=user, defaults={"reason": DeskReason.FIRST_NAMES_PARTIAL}
    )


def resident_email(n: int) -> str:
    return f"resident-{n:04d}@example.org"


def _seed_residents(count: int, hashed_password: str) -> int:
    """Residents 1..count, each verified against an elector entry (main roll), in a stable order."""
    if count <= 0:
        return 0
    emails = [resident_email(n) for n in range(1, count + 1)]
    have = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    claimed = set(
        User.objects.filter(register_entry__isnull=False).values_list("register_entry", flat=True)
    )
    free = (
        RegisterEntry.objects.filter(ref__startswith="DEMO-", kind=EntryKind.ELECTOR, active=True)
        .exclude(pk__in=claimed)
        .order_by("ref")
        .values_list("pk", flat=True)
        .iterator()
    )
    now = timezone.now()
    users = []
    for email in emails:
        if email in have:
            continue
        users.append(
            User(
                email=email,
                password=hashed_password,
                register_entry_id=next(free),
                verified_at=now,
                verification_method=VerificationMethod.MATCH,
                display_name=email.split("@")[0],
            )
        )
    User.objects.bulk_create(users, batch_size=1000)
    created = User.objects.filter(email__in=[u.email for u in users])
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in created],
        batch_size=1000,
        ignore_conflicts=True,
    )
    return len(users)
