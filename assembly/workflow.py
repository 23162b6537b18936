"""Lifecycles on one screen: which status may follow which. Pure data, no I/O."""

from __future__ import annotations

from typing import Final

from assembly.models import MandateStatus, MinutesStatus, MotionStatus, SessionStatus

MANDATE: Final[dict[str, frozenset[str]]] = {
    MandateStatus.DRAFT: frozenset({MandateStatus.RECRUITING}),
    MandateStatus.RECRUITING: frozenset({MandateStatus.COMMITTED}),
    MandateStatus.COMMITTED: frozenset({MandateStatus.SEATED}),
    MandateStatus.SEATED: frozenset({MandateStatus.CLOSED}),
    MandateStatus.CLOSED: frozenset(),
}

SESSION: Final[dict[str, frozenset[str]]] = {
    SessionStatus.PLANNED: frozenset({SessionStatus.PUBLISHED, SessionStatus.CANCELLED}),
    SessionStatus.PUBLISHED: frozenset({SessionStatus.OPEN, SessionStatus.CANCELLED}),
    SessionStatus.OPEN: frozenset({SessionStatus.CLOSED}),
    SessionStatus.CLOSED: frozenset(),
    SessionStatus.CANCELLED: frozenset(),
}

MOTION: Final[dict[str, frozenset[str]]] = {
    MotionStatus.DRAFT: frozenset({MotionStatus.OPEN}),
    MotionStatus.OPEN: frozenset({MotionStatus.CLOSED}),
    MotionStatus.CLOSED: frozenset(),
}

MINUTES: Final[dict[str, frozenset[str]]] = {
    MinutesStatus.DRAFT: frozenset({MinutesStatus.APPROVED}),
    MinutesStatus.APPROVED: frozenset({MinutesStatus.PUBLISHED}),
    MinutesStatus.PUBLISHED: frozenset(),
}

# Sessions whose agenda may still receive items.
AGENDA_OPEN: Final[frozenset[str]] = frozenset({SessionStatus.PLANNED, SessionStatus.PUBLISHED})


def may_move(table: dict[str, frozenset[str]], current: str, target: str) -> bool:
    return target in table.get(current, frozenset())
