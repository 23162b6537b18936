"""The signing state of an initiative: its tracks, and whether collection is open.

Tracks never change once collection opens, so each process remembers them for five minutes for
collecting initiatives only: the signing statement's own guard stays the authority on "open", so a
remembered "collecting" can never let a signature in after a close or a withdrawal.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from civic.errors import Conflict, NotFound
from petitions.models import InitiativeTrack, Status
from petitions.rules import collection_open


@dataclass(frozen=True)
class TrackInfo:
    position: int
    predicate: str
    slug: str
    quarter_limit: bool
    quarter_limit_rule: str
    collectivity: str


@dataclass(frozen=True)
class SigningState:
    tracks: list[TrackInfo]
    status: str
    closes_at: datetime | None
    moderation: str
    paused_at: datetime | None

    def is_open(self, now: datetime) -> bool:
        return collection_open(
            status=self.status,
            closes_at=self.closes_at,
            now=now,
            moderation=self.moderation,
            paused_at=self.paused_at,
        )


_OPEN_MEMO: dict[int, tuple[float, SigningState]] = {}
_OPEN_MEMO_SECONDS = 300.0


def open_memo_forget(initiative_id: int | None = None) -> None:
    if initiative_id is None:
        _OPEN_MEMO.clear()
    else:
        _OPEN_MEMO.pop(initiative_id, None)


def signing_state(initiative_id: int, *, fresh: bool = False) -> SigningState:
    """The tracks and status of a published initiative (NotFound otherwise)."""
    memo = None if fresh else _OPEN_MEMO.get(initiative_id)
    if memo is not None and memo[0] > time.monotonic():
        return memo[1]
    rows = list(
        InitiativeTrack.objects.filter(initiative_id=initiative_id)
        .order_by("position")
        .values_list(
            "position",
            "predicate",
            "instrument_type__slug",
            "instrument_type__quarter_limit",
            "instrument_type__quarter_limit_rule",
            "instrument_type__collectivity",
            "initiative__status",
            "initiative__closes_at",
            "initiative__published_at",
            "initiative__moderation",
            "initiative__collection_paused_at",
        )
    )
    if not rows or rows[0][8] is None:
        raise NotFound(_("Initiative introuvable."), code="initiative_not_found")
    first = rows[0]
    state = SigningState(
        [TrackInfo(*row[:6]) for row in rows], first[6], first[7], first[9], first[10]
    )
    if state.status == Status.COLLECTING:
        if len(_OPEN_MEMO) > 10_000:
            _OPEN_MEMO.clear()
        _OPEN_MEMO[initiative_id] = (time.monotonic() + _OPEN_MEMO_SECONDS, state)
    return state


def collection_closed() -> Conflict:
    return Conflict(
        _("La collecte de signatures n'est pas ouverte pour cette initiative."),
        code="collection_closed",
    )


def require_open(state: SigningState, now: datetime) -> None:
    if not state.is_open(now):
        raise collection_closed()


def open_tracks(initiative_id: int, now: datetime) -> list[TrackInfo]:
    """The tracks of an initiative open at `now`, or Conflict. A remembered state only ever says
    "open": a refusal is always decided on a fresh read (a closing date moved later is seen at
    once), and the guarded statement has the last word either way."""
    state = signing_state(initiative_id)
    if not state.is_open(now):
        state = signing_state(initiative_id, fresh=True)
        require_open(state, now)
    return state.tracks
