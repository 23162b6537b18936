"""Rules as predicates: when collection is open, who may sign, who may do what.

Each rule is written once here. Where a rule must run inside the database (a queryset filter, the
guard of the signing statement), its query form is built next to the Python predicate, and
`tests/petitions/test_rules_agree.py` feeds one table of cases to both.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from civic.eligibility import Decision, decide
from civic.models import RegisterEntry
from civic.roles import Role, has_role
from petitions.law import LEGAL_PREDICATES, LEGAL_SHARE, instrument_type_violations, rung_violations
from petitions.models import Initiative, Moderation, Status
from petitions.workflow import can_transition

__all__ = [
    "COLLECTION_OPEN_SQL",
    "LEGAL_PREDICATES",
    "LEGAL_SHARE",
    "collection_closed_q",
    "collection_open",
    "collection_open_q",
    "collection_window_running",
    "initiative_collection_open",
    "instrument_type_violations",
    "is_initiator",
    "is_moderator",
    "is_promoter",
    "is_public",
    "may_cosign",
    "may_sign",
    "may_view",
    "may_withdraw",
    "promoters_required",
    "public_q",
    "rung_violations",
    "share_threshold",
    "track_decisions",
]


# --- Is collection open ------------------------------------------------------------------------


def collection_open(
    *,
    status: str,
    closes_at: datetime | None,
    now: datetime,
    moderation: str,
    paused_at: datetime | None,
) -> bool:
    """Signatures are taken while the initiative is collecting, public (not suspended nor
    unpublished by a moderator), its collection not suspended, and its closing instant still
    ahead: at `closes_at` itself it is closed, whether or not the closing job has run."""
    return (
        status == Status.COLLECTING
        and moderation == Moderation.PUBLIC
        and paused_at is None
        and closes_at is not None
        and closes_at > now
    )


def collection_open_q(now: datetime) -> Q:
    """`collection_open` as a filter on initiatives."""
    return Q(
        status=Status.COLLECTING,
        moderation=Moderation.PUBLIC,
        collection_paused_at__isnull=True,
        closes_at__gt=now,
    )


def collection_closed_q(now: datetime) -> Q:
    """Collecting initiatives due to be closed: their closing instant has come and their collection
    is not suspended (a suspended collection's window stands still: docs/civic-rules.md,
    "Moderation"; a suspended or unpublished initiative's collection is always suspended, by
    constraint). Written so that the index on (status, closes_at) answers it."""
    return Q(status=Status.COLLECTING, collection_paused_at__isnull=True, closes_at__lte=now)


# `collection_open` as the SQL guard of the statements that write signatures (one parameter: now),
# on `petitions_initiative`. Written from the same values; the table of cases in
# tests/petitions/test_rules_agree.py runs it against the Python predicate.
COLLECTION_OPEN_SQL = (
    f"status = '{Status.COLLECTING.value}' AND moderation = '{Moderation.PUBLIC.value}'"
    " AND collection_paused_at IS NULL AND closes_at > %s"
)


def initiative_collection_open(initiative: Initiative, *, now: datetime) -> bool:
    return collection_open(
        status=initiative.status,
        closes_at=initiative.closes_at,
        now=now,
        moderation=initiative.moderation,
        paused_at=initiative.collection_paused_at,
    )


def collection_window_running(initiative: Initiative, *, now: datetime) -> bool:
    """Collecting and before its closing instant, whether or not collection is suspended: the
    window a moderator may extend, suspend or resume, and the initiator withdraw from."""
    return (
        initiative.status == Status.COLLECTING
        and initiative.closes_at is not None
        and (initiative.collection_paused_at is not None or initiative.closes_at > now)
    )


def may_withdraw(initiative: Initiative, *, now: datetime) -> bool:
    """The table allows the initiator to withdraw, and a collecting initiative is still open
    (past its closing instant it is closed, even before the closing job ran)."""
    if not can_transition(initiative.status, Status.WITHDRAWN):
        return False
    return initiative.status != Status.COLLECTING or collection_window_running(initiative, now=now)


# --- May this person sign ----------------------------------------------------------------------


def track_decisions(entry: RegisterEntry, predicates: Iterable[str], *, on: date) -> list[Decision]:
    """The eligibility decision of one register entry on each track (in track order)."""
    return [decide(entry, predicate, on=on) for predicate in predicates]


def may_sign(
    *,
    status: str,
    closes_at: datetime | None,
    now: datetime,
    moderation: str,
    paused_at: datetime | None,
    entry: RegisterEntry,
    predicates: Iterable[str],
    on: date,
) -> bool:
    """A person may sign while collection is open if they are eligible on at least one track.
    (The quarter limit and "already signed" are the database's constraints, not a predicate.)"""
    open_now = collection_open(
        status=status, closes_at=closes_at, now=now, moderation=moderation, paused_at=paused_at
    )
    return open_now and any(d.eligible for d in track_decisions(entry, predicates, on=on))


# --- Who may carry an initiative --------------------------------------------------------------


def promoters_required(instrument_types: Iterable[Any]) -> int:
    """How many promoters (the initiator included) must have co-signed before the initiative is
    submitted: the strictest of its instruments' `min_promoters`."""
    return int(max((t.min_promoters for t in instrument_types), default=1))


def may_cosign(entry: RegisterEntry, predicates: Iterable[str], *, on: date) -> list[Decision]:
    """A promoter co-signs if they are eligible on at least one track of the initiative. Returns
    the decisions: `any(d.eligible ...)` is the verdict, the refused ones name their rules."""
    return track_decisions(entry, predicates, on=on)


# --- Thresholds --------------------------------------------------------------------------------


def share_threshold(*, population: int, numerator: int, denominator: int) -> int:
    """The smallest whole number of signatures that reaches the share (1/10 of 1,001 -> 101)."""
    return max(1, -(-population * numerator // denominator))


# --- Permission predicates ---------------------------------------------------------------------


def is_moderator(user: Any) -> bool:
    return has_role(user, Role.MODERATOR)


def is_initiator(user: Any, initiative: Initiative) -> bool:
    return bool(user.is_authenticated and initiative.initiator_id == user.pk)


def is_promoter(user: Any, initiative: Initiative) -> bool:
    if not user.is_authenticated:
        return False
    return initiative.promoters.filter(user=user).exists()


def is_public(*, published_at: datetime | None, status: str) -> bool:
    """Anyone may see an initiative once its collection opened (it stays public, withdrawn,
    closed, suspended; unpublished, as a notice), and one declared inadmissible, with its reason."""
    return published_at is not None or status == Status.REJECTED


def public_q() -> Q:
    """`is_public` as a filter on initiatives."""
    return Q(published_at__isnull=False) | Q(status=Status.REJECTED)


# --- what the public may read of an initiative (docs/civic-rules.md, "Moderation") ---------------
# One rule for every public path (page, API, lists, feeds, dashboards, open data, obligations,
# registers, PDFs): an unpublished initiative keeps its address, its figures and its history, and
# shows a neutral name instead of its title; its summary and text are withdrawn.


def is_withdrawn(moderation: str) -> bool:
    """The initiative's text is withdrawn from the public (unpublished by a moderator)."""
    return moderation == Moderation.UNPUBLISHED


def listed_q(on: str = "") -> Q:
    """What the public lists, feeds and searches may show: not withdrawn. `on` is the path to the
    initiative from the filtered model (e.g. "initiative__")."""
    return ~Q(**{f"{on}moderation": Moderation.UNPUBLISHED})


def withdrawn_label() -> str:
    return _("Initiative dépubliée")


def public_title(initiative: Any) -> str:
    """The name the public reads: the title, or the neutral "Initiative dépubliée"."""
    return withdrawn_label() if is_withdrawn(initiative.moderation) else initiative.title


def public_text(initiative: Any, field: str) -> str:
    """The summary or body the public reads: empty once withdrawn."""
    return "" if is_withdrawn(initiative.moderation) else str(getattr(initiative, field))


def may_view(user: Any, initiative: Initiative) -> bool:
    if is_public(published_at=initiative.published_at, status=initiative.status):
        return True
    return is_initiator(user, initiative) or is_moderator(user) or is_promoter(user, initiative)
