"""Matching a provider's pivot identity to the register, by the paper signatures' rule.

The exact match is `civic.identity.identity_hash` of (family name, first names, birth date): the
same keyed hash, the same normalisation, as a paper signature. The register holds neither the
birthplace, the birth country nor the gender: they are read but not matched (docs/identity.md).
When nothing matches exactly, the near-misses a desk agent can settle with an identity document are
named (they go to the desk queue with that reason); anything else is no match."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from civic.errors import DomainError
from civic.identity import identity_hash, normalise_name
from civic.models import DeskReason, RegisterEntry, User

# Entries of one birth date looked at for a near-miss (a city has a few dozen per day at most).
_SAME_DAY_LIMIT = 200


class ClaimsIncomplete(DomainError):
    default_code = "claims_incomplete"


@dataclass(frozen=True)
class Pivot:
    """The pivot identity of FranceConnect (and what any provider gives of it)."""

    given_name: str
    family_name: str
    birthdate: date
    usage_name: str = ""
    birthplace: str = ""
    birthcountry: str = ""
    gender: str = ""
    email: str = ""


@dataclass(frozen=True)
class Match:
    entry: RegisterEntry | None = None
    near_miss: str = ""  # a DeskReason value


def pivot_from_claims(claims: dict[str, Any]) -> Pivot:
    """The pivot identity in the userinfo claims; a missing name or birth date is refused."""
    given = str(claims.get("given_name") or "").strip()
    family = str(claims.get("family_name") or "").strip()
    born = parse_date(str(claims.get("birthdate") or "")) if claims.get("birthdate") else None
    if not (given and family and born):
        raise ClaimsIncomplete(
            _(
                "Le fournisseur d'identité n'a pas transmis vos nom, prénoms et date de naissance. "
                "Recommencez en acceptant de les partager."
            )
        )
    return Pivot(
        given_name=given,
        family_name=family,
        birthdate=born,
        usage_name=str(claims.get("preferred_username") or "").strip(),
        birthplace=str(claims.get("birthplace") or ""),
        birthcountry=str(claims.get("birthcountry") or ""),
        gender=str(claims.get("gender") or ""),
        email=str(claims.get("email") or "").strip().lower(),
    )


def _by_hash(*, last_name: str, first_names: str, birth_date: date) -> list[RegisterEntry]:
    digest = identity_hash(last_name=last_name, first_names=first_names, birth_date=birth_date)
    return list(RegisterEntry.objects.filter(identity_hash=digest).order_by("pk")[:5])


def _claimed_by_other(entry: RegisterEntry, user: User | None) -> bool:
    holder = User.objects.filter(register_entry=entry).values_list("pk", flat=True).first()
    return holder is not None and (user is None or holder != user.pk)


def match_pivot(pivot: Pivot, *, user: User | None = None) -> Match:
    """The one entry this identity designates, else the near-miss reason, else neither."""
    names = [pivot.family_name] + ([pivot.usage_name] if pivot.usage_name else [])
    for last_name in names:
        entries = _by_hash(
            last_name=last_name, first_names=pivot.given_name, birth_date=pivot.birthdate
        )
        active = [e for e in entries if e.active]
        if len(active) > 1:
            return Match(near_miss=DeskReason.AMBIGUOUS)
        if len(active) == 1:
            if _claimed_by_other(active[0], user):
                return Match(near_miss=DeskReason.ENTRY_CLAIMED)
            return Match(entry=active[0])
        if entries:
            return Match(near_miss=DeskReason.STRUCK_OFF)
    return Match(near_miss=_near_miss(pivot, names))


def _near_miss(pivot: Pivot, names: list[str]) -> str:
    first = pivot.given_name.split()[0]
    if first != pivot.given_name:
        for last_name in names:
            found = _by_hash(last_name=last_name, first_names=first, birth_date=pivot.birthdate)
            if any(e.active for e in found):
                return DeskReason.FIRST_NAMES_PARTIAL
    same_day = RegisterEntry.objects.filter(birth_date=pivot.birthdate, active=True).only(
        "last_name", "first_names"
    )[:_SAME_DAY_LIMIT]
    wanted_names = {normalise_name(n) for n in names}
    wanted_first = normalise_name(pivot.given_name)
    for entry in same_day:
        if normalise_name(entry.last_name) in wanted_names:
            return DeskReason.FIRST_NAMES_DIFFER
        if normalise_name(entry.first_names) == wanted_first:
            return DeskReason.FAMILY_NAME_DIFFERS
    return ""
