"""The citizens' assembly: mandates drawn by lot, sessions, votes, minutes and recommendations.

Cross-instrument links (an initiative on the agenda, a recommendation turned into a referendum) are a
kind plus an integer id, never a foreign key: the instrument apps migrate independently.
"""

from assembly.models.absence import AbsenceNotice
from assembly.models.composition import (
    Feature,
    FeatureKind,
    Invitation,
    InvitationBatch,
    InvitationStatus,
    Mandate,
    MandateStatus,
    Quota,
    Volunteer,
)
from assembly.models.draw import (
    CommitmentJob,
    CommitmentJobStatus,
    DrawCommitment,
    Member,
    MemberSource,
    MemberStatus,
    Reserve,
    ReserveStatus,
)
from assembly.models.followup import (
    Minutes,
    MinutesStatus,
    Recommendation,
    RecommendationStatus,
)
from assembly.models.requests import AgendaRequest, InitiativePublication
from assembly.models.sessions import (
    AgendaItem,
    Attendance,
    Majority,
    Motion,
    MotionKind,
    MotionResult,
    MotionStatus,
    MotionVote,
    Session,
    SessionStatus,
    SourceKind,
    VoteChoice,
)

__all__ = [
    "AbsenceNotice",
    "AgendaItem",
    "AgendaRequest",
    "Attendance",
    "CommitmentJob",
    "CommitmentJobStatus",
    "DrawCommitment",
    "Feature",
    "FeatureKind",
    "InitiativePublication",
    "Invitation",
    "InvitationBatch",
    "InvitationStatus",
    "Majority",
    "Mandate",
    "MandateStatus",
    "Member",
    "MemberSource",
    "MemberStatus",
    "Minutes",
    "MinutesStatus",
    "Motion",
    "MotionKind",
    "MotionResult",
    "MotionStatus",
    "MotionVote",
    "Quota",
    "Recommendation",
    "RecommendationStatus",
    "Reserve",
    "ReserveStatus",
    "Session",
    "SessionStatus",
    "SourceKind",
    "Volunteer",
    "VoteChoice",
]
