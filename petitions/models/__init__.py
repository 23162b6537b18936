"""Droit d'Initiative Locale: instruments as data, initiatives, signatures, counts, obligations.

Design notes (the why; the what is in the fields):
- An instrument type is data a city can read and, within the law, adjust (CIVIC-RULES). An initiative
  runs on one or more tracks, one per instrument type; a signature counts on every track its signer is
  eligible for, recorded as a bit mask over the initiative's track positions.
- Signatures reference the initiative, so no counter lives on the initiative row: signing adds a
  delta to one slot row in `SignatureCountSlot` (per initiative, track mask and writing
  connection); a tick folds the slots into `InitiativeCount` (the published figure) and deletes
  them, so the slot table only ever holds unfolded deltas.
- A rung crossing is a guarded UPDATE of `TrackRung.reached_at` (acts once, however many workers race);
  the obligation it creates is one-to-one with the track rung.
"""

from petitions.models.initiatives import (
    Initiative,
    InitiativeTrack,
    Moderation,
    Promoter,
    RejectionReason,
    Status,
    TrackRung,
)
from petitions.models.instruments import (
    COUNT_SLOTS,
    MAX_TRACKS,
    TOTAL_TRACK,
    Collectivity,
    InstrumentType,
    LegalRegime,
    ObligationKind,
    Rung,
    RungKind,
)
from petitions.models.invalidations import (
    Invalidation,
    InvalidationReason,
    InvalidationState,
)
from petitions.models.moderation import ChangeKind, CollectionChange, ObligationDocument
from petitions.models.obligations import Obligation, ObligationStatus
from petitions.models.paper import PaperBatch, PaperBatchSignature
from petitions.models.signatures import (
    AnnulledSignature,
    AnnulmentReason,
    Channel,
    InitiativeCount,
    PaperRejection,
    PaperRejectionReason,
    Signature,
    SignatureCountSlot,
)

__all__ = [
    "COUNT_SLOTS",
    "MAX_TRACKS",
    "TOTAL_TRACK",
    "AnnulledSignature",
    "AnnulmentReason",
    "ChangeKind",
    "Channel",
    "CollectionChange",
    "Collectivity",
    "Initiative",
    "InitiativeCount",
    "InitiativeTrack",
    "InstrumentType",
    "Invalidation",
    "InvalidationReason",
    "InvalidationState",
    "LegalRegime",
    "Moderation",
    "Obligation",
    "ObligationDocument",
    "ObligationKind",
    "ObligationStatus",
    "PaperBatch",
    "PaperBatchSignature",
    "PaperRejection",
    "PaperRejectionReason",
    "Promoter",
    "RejectionReason",
    "Rung",
    "RungKind",
    "Signature",
    "SignatureCountSlot",
    "Status",
    "TrackRung",
]
