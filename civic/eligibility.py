"""Who may take part: eligibility predicates per instrument (CIVIC-RULES, "Who may take part").

Each predicate is a named value that the instruments store as data (an instrument type says "who may
sign" by naming one), with two faces that always agree: `decide()` for one register entry, and
`eligible_entries()` for the whole register (population counts, electorate snapshots).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from civic.models import EntryKind, RegisterEntry


class Predicate(models.TextChoices):
    RESIDENT_16 = "resident_16", _("Résidents de 16 ans ou plus, toute nationalité (charte)")
    REGISTERED_ELECTOR = "registered_elector", _("Électeurs inscrits sur la liste principale")
    MUNICIPAL_ELECTOR = (
        "municipal_elector",
        _("Électeurs inscrits, y compris ressortissants UE de la liste complémentaire"),
    )
    EU_SUPPLEMENTARY = (
        "eu_supplementary",
        _("Ressortissants UE inscrits sur la liste complémentaire"),
    )


# The rule each predicate encodes, named in every refusal.
RULES: dict[str, str] = {
    Predicate.RESIDENT_16: "Charte de la participation, art. 2",
    Predicate.REGISTERED_ELECTOR: "CGCT L1112-16",
    Predicate.MUNICIPAL_ELECTOR: "CGCT LO1112-11, L1112-22",
    Predicate.EU_SUPPLEMENTARY: "Code électoral LO227-1",
}

MINIMUM_AGE_CHARTER = 16

_KINDS: dict[str, frozenset[str] | None] = {
    Predicate.RESIDENT_16: None,  # any kind; age decides
    Predicate.REGISTERED_ELECTOR: frozenset({EntryKind.ELECTOR}),
    Predicate.MUNICIPAL_ELECTOR: frozenset({EntryKind.ELECTOR, EntryKind.EU_ELECTOR}),
    Predicate.EU_SUPPLEMENTARY: frozenset({EntryKind.EU_ELECTOR}),
}


@dataclass(frozen=True)
class Decision:
    eligible: bool
    code: str  # "eligible", "not_on_roll", "too_young", "inactive_entry"
    rule: str


def birth_date_limit(*, age: int, on: date) -> date:
    """The latest birth date of someone who is at least `age` years old on `on` (29 Feb -> 1 Mar)."""
    try:
        return on.replace(year=on.year - age)
    except ValueError:  # on is 29 February and the target year is not a leap year
        return date(on.year - age, 3, 1)


def decide(entry: RegisterEntry, predicate: str, *, on: date) -> Decision:
    rule = RULES[predicate]
    if not entry.active:
        return Decision(False, "inactive_entry", rule)
    kinds = _KINDS[predicate]
    if kinds is not None and entry.kind not in kinds:
        return Decision(False, "not_on_roll", rule)
    if predicate == Predicate.RESIDENT_16 and entry.birth_date > birth_date_limit(
        age=MINIMUM_AGE_CHARTER, on=on
    ):
        return Decision(False, "too_young", rule)
    return Decision(True, "eligible", rule)


def eligible_filter(predicate: str, *, on: date) -> Q:
    q = Q(active=True)
    kinds = _KINDS[predicate]
    if kinds is not None:
        q &= Q(kind__in=sorted(kinds))
    if predicate == Predicate.RESIDENT_16:
        q &= Q(birth_date__lte=birth_date_limit(age=MINIMUM_AGE_CHARTER, on=on))
    return q


def eligible_entries(predicate: str, *, on: date) -> QuerySet[RegisterEntry]:
    return RegisterEntry.objects.filter(eligible_filter(predicate, on=on))


def eligibility_facts(entry: RegisterEntry, *, on: date) -> dict[str, bool]:
    """Every predicate's verdict for one entry: the facts kept with a signature at signing time."""
    return {p.value: decide(entry, p.value, on=on).eligible for p in Predicate}
