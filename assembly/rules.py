"""The assembly's rules as data and pure predicates: quorum, majorities, age bands.

Majorities (abstentions are recorded and published in every case):
- simple: adopted when votes FOR > votes AGAINST. Abstentions do not count; a tie is rejected.
- absolute: adopted when votes FOR > half of the members PRESENT (2 * for > present). Abstentions,
  and present members who did not vote, therefore weigh like votes against.
- two_thirds: adopted when votes FOR ≥ two thirds of the votes CAST (3 * for ≥ 2 * (for + against)),
  abstentions excluded, and at least one vote for. Exactly two thirds is enough.
Unpublished work: a clerk or an auditor sees planned sessions (agenda not yet published) and draft
minutes; everyone else sees only what is published (`sees_unpublished()`, in the pages and the API).
Quorum: at least `quorum_percent` % of the active members are present (100 * present ≥ percent *
active), and at least one member is present. It is checked when a vote opens.
May be drawn: a person whose register entry is still linked and meets the mandate's eligibility
predicate today (so a strike-off ends it), and who has not withdrawn from the pool. One rule, two
faces that always agree: `may_be_drawn()` for one person, `drawable_entries()` /
`drawable_volunteers()` for the whole register or pool. The invitation sample, the volunteer
sign-up, the pool frozen by the commitment and the reserve called to replace a member all use them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from assembly.models import Majority, Mandate, Volunteer
from civic.eligibility import RULES, Decision, birth_date_limit, decide, eligible_entries
from civic.models import RegisterEntry
from civic.roles import Role, has_role

# Lazy: read in the language of each request (the page and the API).
MAJORITY_RULES: dict[str, str | Promise] = {
    Majority.SIMPLE: _("pour > contre ; abstentions non comptées ; égalité = rejet"),
    Majority.ABSOLUTE: _("pour > moitié des membres présents (abstentions comptées)"),
    Majority.TWO_THIRDS: _("pour ≥ 2/3 des suffrages exprimés (pour + contre)"),
}


@dataclass(frozen=True)
class Tally:
    votes_for: int
    votes_against: int
    abstentions: int
    present: int


def is_adopted(majority: str, tally: Tally) -> bool:
    f, a = tally.votes_for, tally.votes_against
    if majority == Majority.SIMPLE:
        return f > a
    if majority == Majority.ABSOLUTE:
        return 2 * f > tally.present
    if majority == Majority.TWO_THIRDS:
        return f > 0 and 3 * f >= 2 * (f + a)
    raise ValueError(f"unknown majority {majority!r}")


def sees_unpublished(user: object) -> bool:
    """May `user` see planned sessions and draft minutes? A clerk or an auditor only."""
    return has_role(user, Role.ASSEMBLY_CLERK, Role.AUDITOR)


def quorum_met(*, present: int, active: int, quorum_percent: int) -> bool:
    return present >= 1 and 100 * present >= quorum_percent * active


def quorum_needed(*, active: int, quorum_percent: int) -> int:
    """The smallest number of members present that meets the quorum."""
    return max(1, -(-quorum_percent * active // 100))


_BAND = re.compile(r"^(\d{1,3})(?:-(\d{1,3})|\+)$")


def parse_age_band(value: str) -> tuple[int, int | None] | None:
    """ "16-29" -> (16, 29); "60+" -> (60, None); anything else -> None."""
    match = _BAND.match(value.strip())
    if not match:
        return None
    low = int(match.group(1))
    high = int(match.group(2)) if match.group(2) else None
    if high is not None and high < low:
        return None
    return low, high


def age_on(birth_date: date, on: date) -> int:
    years = on.year - birth_date.year
    if birth_date_limit(age=years, on=on) < birth_date:
        years -= 1
    return years


def age_band_for(birth_date: date, on: date, bands: list[str]) -> str | None:
    age = age_on(birth_date, on)
    for band in bands:
        parsed = parse_age_band(band)
        if parsed and parsed[0] <= age and (parsed[1] is None or age <= parsed[1]):
            return band
    return None


def may_be_drawn(
    entry: RegisterEntry | None, *, eligibility: str, on: date, withdrawn: bool = False
) -> Decision:
    """May this person be invited, volunteer, enter the frozen pool or take a seat from the
    reserve? `entry` is None once the register link was cut (when a mandate closes)."""
    if entry is None:
        return Decision(False, "unlinked_entry", RULES[eligibility])
    if withdrawn:
        return Decision(False, "withdrawn", RULES[eligibility])
    return decide(entry, eligibility, on=on)


def drawable_entries(eligibility: str, *, on: date) -> QuerySet[RegisterEntry]:
    """The register entries `may_be_drawn` accepts (nobody has withdrawn before being invited)."""
    return eligible_entries(eligibility, on=on)


def drawable_volunteers(mandate: Mandate, *, on: date) -> QuerySet[Volunteer]:
    """The volunteers of `mandate` that `may_be_drawn` accepts, in pseudonym order."""
    return Volunteer.objects.filter(
        mandate=mandate,
        withdrawn_at__isnull=True,
        register_entry__in=drawable_entries(mandate.eligibility, on=on),
    ).order_by("pseudonym")


def volunteer_may_be_drawn(volunteer: Volunteer, *, eligibility: str, on: date) -> Decision:
    return may_be_drawn(
        volunteer.register_entry,
        eligibility=eligibility,
        on=on,
        withdrawn=volunteer.withdrawn_at is not None,
    )
