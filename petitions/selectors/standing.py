"""May this visitor sign this initiative, and on which tracks: what the page says before its form.

The answer is the signing service's own: a verified account (`signatures.online`), then the
eligibility predicate of each track (`rules.track_decisions`, the civic predicates' reason codes).
The page words each reason code; it never restates a rule (the rule's name and the predicate's
label come from `civic.eligibility`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from civic.eligibility import Decision
from petitions.models import InitiativeTrack
from petitions.rules import track_decisions

ANONYMOUS = "anonymous"
NOT_VERIFIED = "not_verified"
STAFF_ACCOUNT = "staff_account"
SIGNED = "signed"
ELIGIBLE = "eligible"
NOT_ELIGIBLE = "not_eligible"


@dataclass(frozen=True)
class TrackStanding:
    track: InitiativeTrack
    decision: Decision


@dataclass(frozen=True)
class SignStanding:
    """`state`: one of the constants above. `tracks`: each track's decision for this signer (only
    for a verified account), in track order; `eligible`, the tracks the signature would count on;
    `refusal`, the first track's reason code when no track takes the signer."""

    state: str
    tracks: list[TrackStanding] = field(default_factory=list)

    @property
    def eligible(self) -> list[TrackStanding]:
        return [t for t in self.tracks if t.decision.eligible]

    @property
    def refused(self) -> list[TrackStanding]:
        return [t for t in self.tracks if not t.decision.eligible]

    @property
    def refusal(self) -> str | None:
        return None if self.eligible or not self.tracks else self.tracks[0].decision.code


def sign_standing(*, tracks: list[InitiativeTrack], user: Any, has_signed: bool) -> SignStanding:
    """The visitor's standing on a collecting initiative with these tracks (no query: a verified
    account's register entry is loaded with the user: civic/auth_backend.py)."""
    if not user.is_authenticated:
        return SignStanding(ANONYMOUS)
    if not user.is_verified:
        # Agents' accounts are not linked to the register: they sign, as residents, with their own.
        return SignStanding(STAFF_ACCOUNT if user.is_staff else NOT_VERIFIED)
    if has_signed:
        return SignStanding(SIGNED)
    decisions = track_decisions(
        user.register_entry, [t.predicate for t in tracks], on=timezone.localdate()
    )
    standings = [TrackStanding(t, d) for t, d in zip(tracks, decisions, strict=True)]
    state = ELIGIBLE if any(d.eligible for d in decisions) else NOT_ELIGIBLE
    return SignStanding(state, standings)
