"""The campaign lifecycle on one screen: pure data and functions, no I/O."""

from __future__ import annotations

from typing import Final

from referendums.models.campaigns import CampaignStatus as S

ALLOWED: Final[dict[str, frozenset[str]]] = {
    S.DRAFT: frozenset({S.SCHEDULED, S.CANCELLED}),
    S.SCHEDULED: frozenset({S.CAMPAIGN, S.CANCELLED}),
    S.CAMPAIGN: frozenset({S.VOTING, S.CANCELLED}),
    S.VOTING: frozenset({S.CLOSED, S.CANCELLED}),
    S.CLOSED: frozenset({S.RESULTS_PUBLISHED}),
    S.RESULTS_PUBLISHED: frozenset({S.ARCHIVED}),
    S.ARCHIVED: frozenset(),
    S.CANCELLED: frozenset(),
}

# Transitions made by the clock (Celery beat), never by a person: time is the only trigger, so
# nobody can open early or close late (or early, to peek at a tally).
TIMED: Final[frozenset[tuple[str, str]]] = frozenset(
    {(S.SCHEDULED, S.CAMPAIGN), (S.CAMPAIGN, S.VOTING), (S.VOTING, S.CLOSED)}
)

# API action name -> target status, for transitions a person requests.
ACTIONS: Final[dict[str, str]] = {
    "schedule": S.SCHEDULED,
    "publish": S.RESULTS_PUBLISHED,
    "archive": S.ARCHIVED,
    "cancel": S.CANCELLED,
}

# Material can be edited until the campaign opens; after that the record is what voters read.
EDITABLE: Final[frozenset[str]] = frozenset({S.DRAFT, S.SCHEDULED})
# Before the vote opens: campaigners and their arguments may still change, and there is no turnout.
BEFORE_VOTING: Final[frozenset[str]] = frozenset({S.DRAFT, S.SCHEDULED, S.CAMPAIGN})
# Ballot contents exist in the open only from here on.
RESULTS_VISIBLE: Final[frozenset[str]] = frozenset({S.RESULTS_PUBLISHED, S.ARCHIVED})
BALLOT_BOX_VISIBLE: Final[frozenset[str]] = frozenset({S.CLOSED, S.RESULTS_PUBLISHED, S.ARCHIVED})
PUBLIC: Final[frozenset[str]] = frozenset(
    {S.SCHEDULED, S.CAMPAIGN, S.VOTING, S.CLOSED, S.RESULTS_PUBLISHED, S.ARCHIVED, S.CANCELLED}
)


def can_transition(current: str, target: str) -> bool:
    return target in ALLOWED.get(current, frozenset())


def is_timed(current: str, target: str) -> bool:
    return (current, target) in TIMED
