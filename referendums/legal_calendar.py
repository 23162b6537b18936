"""The calendar of a binding local referendum (CGCT LO1112-3, -6, -8, -9): pure functions.

`calendar_violations()` lists every date the law forbids, each naming its article; the scheduling
service refuses while the list is not empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

PREFECT_MONTHS = 2  # LO1112-3
RENEWAL_BLACKOUT_MONTHS = 6  # LO1112-6
SAME_SUBJECT_DAYS = 365  # LO1112-6: "dans un délai d'un an"
DOSSIER_DAYS = 15  # LO1112-8


@dataclass(frozen=True)
class Violation:
    code: str
    rule: str
    detail: str


@dataclass(frozen=True)
class CalendarFacts:
    vote_date: date
    deliberation_date: date | None
    prefect_transmission_date: date | None
    dossier_public_date: date | None
    campaign_opens_at: datetime
    voting_opens_at: datetime
    # (label, renewal polling date)
    renewals: tuple[tuple[str, date], ...] = ()
    # (label, first day, last day)
    election_campaigns: tuple[tuple[str, date, date], ...] = ()
    # vote dates of other referendums or consultations on the same subject
    same_subject_votes: tuple[date, ...] = ()


def add_months(day: date, months: int) -> date:
    """Calendar months, clamped to the end of a shorter month (31 Dec - 2 months = 31 Oct)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, _month_length(year, month)))


def _month_length(year: int, month: int) -> int:
    next_month = date(year + (month == 12), month % 12 + 1, 1)
    return (next_month - timedelta(days=1)).day


def renewal_blackout_start(renewal: date) -> date:
    """LO1112-6: from the first day of the sixth month before the month of the renewal."""
    first = date(renewal.year, renewal.month, 1)
    return add_months(first, -RENEWAL_BLACKOUT_MONTHS)


def legal_campaign_opening(vote_date: date) -> date:
    """LO1112-9: 00:00 on the second Monday before polling day."""
    day_before = vote_date - timedelta(days=1)
    first_monday = day_before - timedelta(days=day_before.weekday())
    return first_monday - timedelta(days=7)


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def calendar_violations(facts: CalendarFacts) -> list[Violation]:
    vote = facts.vote_date
    found: list[Violation] = []
    if facts.deliberation_date is None or facts.prefect_transmission_date is None:
        found.append(
            Violation(
                "calendar_deliberation_missing",
                "CGCT LO1112-3",
                _(
                    "La date de la délibération et celle de sa transmission au préfet sont requises."
                ),
            )
        )
    else:
        if facts.prefect_transmission_date < facts.deliberation_date:
            found.append(
                Violation(
                    "calendar_transmission_before_deliberation",
                    "CGCT LO1112-3",
                    _("La délibération ne peut être transmise au préfet avant d'avoir été prise."),
                )
            )
        latest = add_months(vote, -PREFECT_MONTHS)
        if facts.prefect_transmission_date > latest:
            found.append(
                Violation(
                    "calendar_prefect_too_late",
                    "CGCT LO1112-3",
                    _(
                        "La délibération doit être transmise au préfet au moins deux mois avant le "
                        "scrutin (au plus tard le %(date)s)."
                    )
                    % {"date": latest.isoformat()},
                )
            )
    for label, renewal in facts.renewals:
        start = renewal_blackout_start(renewal)
        if start <= vote <= renewal:
            found.append(
                Violation(
                    "calendar_renewal_blackout",
                    "CGCT LO1112-6",
                    _(
                        "Aucun référendum à compter du %(start)s, premier jour du sixième mois "
                        "précédant le renouvellement (%(label)s)."
                    )
                    % {"start": start.isoformat(), "label": label},
                )
            )
    for label, first, last in facts.election_campaigns:
        if first <= vote <= last:
            found.append(
                Violation(
                    "calendar_election_campaign",
                    "CGCT LO1112-6",
                    _("Aucun référendum pendant une campagne électorale (%(label)s).")
                    % {"label": label},
                )
            )
    for other in facts.same_subject_votes:
        if abs((vote - other).days) < SAME_SUBJECT_DAYS:
            found.append(
                Violation(
                    "calendar_same_subject_within_year",
                    "CGCT LO1112-6",
                    _(
                        "Un référendum sur le même objet a lieu le %(date)s : un an doit séparer "
                        "deux consultations sur le même objet."
                    )
                    % {"date": other.isoformat()},
                )
            )
    latest_dossier = vote - timedelta(days=DOSSIER_DAYS)
    if facts.dossier_public_date is None or facts.dossier_public_date > latest_dossier:
        found.append(
            Violation(
                "calendar_dossier_too_late",
                "CGCT LO1112-8",
                _(
                    "Le dossier d'information doit être public au moins quinze jours avant le "
                    "scrutin (au plus tard le %(date)s)."
                )
                % {"date": latest_dossier.isoformat()},
            )
        )
    opening = legal_campaign_opening(vote)
    if facts.campaign_opens_at != local_midnight(opening):
        found.append(
            Violation(
                "calendar_campaign_window",
                "CGCT LO1112-9",
                _(
                    "La campagne s'ouvre le deuxième lundi précédant le scrutin à zéro heure "
                    "(%(date)s) et s'achève la veille du scrutin à minuit."
                )
                % {"date": opening.isoformat()},
            )
        )
    if facts.voting_opens_at < local_midnight(vote):
        found.append(
            Violation(
                "calendar_campaign_window",
                "CGCT LO1112-9",
                _("Le scrutin ne peut commencer avant la fin de la campagne (veille à minuit)."),
            )
        )
    return found
