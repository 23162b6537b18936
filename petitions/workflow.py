"""The lifecycle of an initiative on one screen: who may move it where. Pure, no I/O."""

from __future__ import annotations

from typing import Final

from petitions.models import Moderation, Status

ALLOWED: Final[dict[str, frozenset[str]]] = {
    # The initiator submits once the promoters have co-signed, or gives up.
    Status.DRAFT: frozenset({Status.SUBMITTED, Status.WITHDRAWN}),
    # Staff take a submitted initiative into review, or find it inadmissible at once.
    Status.SUBMITTED: frozenset({Status.IN_REVIEW, Status.REJECTED, Status.WITHDRAWN}),
    # Staff open the collection (publish) or declare it inadmissible.
    Status.IN_REVIEW: frozenset({Status.COLLECTING, Status.REJECTED, Status.WITHDRAWN}),
    # The deadline closes it (a system transition); the initiator may withdraw before the close.
    Status.COLLECTING: frozenset({Status.CLOSED, Status.WITHDRAWN}),
    Status.CLOSED: frozenset(),
    Status.REJECTED: frozenset(),
    Status.WITHDRAWN: frozenset(),
}

# Statuses whose initiative the public can see (once published, it stays public, even withdrawn).
TERMINAL: Final[frozenset[str]] = frozenset(s for s, nxt in ALLOWED.items() if not nxt)
EDITABLE: Final[frozenset[str]] = frozenset({Status.DRAFT})


def can_transition(current: str, target: str) -> bool:
    return target in ALLOWED.get(current, frozenset())


def sources_of(target: str) -> frozenset[str]:
    """Every status from which `target` may be reached (the WHERE of a guarded UPDATE)."""
    return frozenset(s for s, nxt in ALLOWED.items() if target in nxt)


# The timestamp each status records when an initiative enters it (the model's constraints tie the
# status to it), set by the one helper that performs transitions (services/transitions.py).
STAMPED: Final[dict[str, str]] = {
    Status.SUBMITTED: "submitted_at",
    Status.IN_REVIEW: "review_started_at",
    Status.COLLECTING: "published_at",
    Status.CLOSED: "closed_at",
    Status.REJECTED: "rejected_at",
    Status.WITHDRAWN: "withdrawn_at",
}


# Moderation, beside the status (models.Moderation): a moderator suspends or unpublishes a public
# initiative and reinstates it; an unpublished one is never merely suspended (reinstate it first).
MODERATION_ALLOWED: Final[dict[str, frozenset[str]]] = {
    Moderation.PUBLIC: frozenset({Moderation.SUSPENDED, Moderation.UNPUBLISHED}),
    Moderation.SUSPENDED: frozenset({Moderation.PUBLIC, Moderation.UNPUBLISHED}),
    Moderation.UNPUBLISHED: frozenset({Moderation.PUBLIC}),
}


def can_moderate(current: str, target: str) -> bool:
    return target in MODERATION_ALLOWED.get(current, frozenset())
