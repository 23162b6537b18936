"""The polling-station finder's search: a resident types their street (or picks their district)
and gets the stations whose address, name or district matches.

A city has tens of stations, not thousands: they are read in one query and matched in Python,
accents and case folded, the house number and the street type ("rue", "avenue"...) ignored, every
remaining word of the query required."""

from __future__ import annotations

import re
import unicodedata

from referendums.models import PollingStation

# Words that say nothing about which street: a number, a street type, an article.
_NOISE = frozenset(
    [
        "rue",
        "avenue",
        "av",
        "bd",
        "boulevard",
        "place",
        "pl",
        "chemin",
        "allee",
        "impasse",
        "route",
        "quai",
        "cours",
        "square",
        "residence",
        "lotissement",
        "de",
        "du",
        "des",
        "la",
        "le",
        "les",
        "l",
        "d",
        "et",
        "a",
        "au",
        "aux",
        "en",
        "sur",
    ]
)
MAX_QUERY = 120


def fold(text: str) -> str:
    """Lower case, without accents, punctuation as spaces ("Allée d'Iéna" -> "allee d iena")."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", plain.lower()).strip()


def query_words(query: str) -> list[str]:
    return [w for w in fold(query[:MAX_QUERY]).split() if w not in _NOISE and not w.isdigit()]


def _haystack(station: PollingStation) -> set[str]:
    return set(fold(f"{station.address} {station.name} {station.district.name}").split())


def stations_find(*, query: str = "", district_code: str = "") -> list[PollingStation]:
    """The stations matching every meaningful word of `query`, within `district_code` if given;
    nothing when neither narrows the search (the page then lists the districts)."""
    words = query_words(query)
    if not words and not district_code:
        return []
    stations = PollingStation.objects.select_related("district").order_by("district__name", "code")
    if district_code:
        stations = stations.filter(district__code=district_code)
    return [s for s in stations if all(w in _haystack(s) for w in words)]
