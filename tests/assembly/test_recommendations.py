"""Recommendations: adopted by a motion, referred to the council with a deadline, answered, or
turned into a referendum campaign draft."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from assembly import tasks
from assembly.models import Majority, MotionKind, Recommendation, RecommendationStatus, VoteChoice
from assembly.services import recommendations, votes
from civic.errors import Conflict, InvalidTransition, RuleViolation
from civic.models import Notification
from tests.assembly.factories import MandateFactory

pytestmark = pytest.mark.django_db


def _recommendation(mandate=None) -> Recommendation:  # type: ignore[no-untyped-def]
    return Recommendation.objects.create(
        mandate=mandate or MandateFactory(seated=True),
        title="Végétaliser les cours d'école",
        text="...",
        adopted_at=timezone.now(),
    )


def test_an_adopted_recommendation_motion_becomes_a_recommendation(open_session, clerk) -> None:
    session, members = open_session
    for m in members[:3]:
        votes.attendance_record(session_id=session.pk, member_id=m.pk, present=True, actor=clerk)
    motion = votes.motion_create(
        session_id=session.pk,
        actor=clerk,
        title="Recommandation arbres",
        text="Planter.",
        majority=Majority.ABSOLUTE,
        kind=MotionKind.RECOMMENDATION,
    )
    votes.motion_open(motion_id=motion.pk, actor=clerk)
    for m in members[:2]:
        votes.vote_record(motion_id=motion.pk, member_id=m.pk, choice=VoteChoice.FOR, actor=clerk)
    votes.motion_close(motion_id=motion.pk, actor=clerk)
    rec = Recommendation.objects.get(motion=motion)
    assert (rec.title, rec.text, rec.status) == (
        "Recommandation arbres",
        "Planter.",
        RecommendationStatus.ADOPTED,
    )


def test_a_rejected_recommendation_motion_records_nothing(open_session, clerk) -> None:
    session, members = open_session
    for m in members[:3]:
        votes.attendance_record(session_id=session.pk, member_id=m.pk, present=True, actor=clerk)
    motion = votes.motion_create(
        session_id=session.pk,
        actor=clerk,
        title="R",
        majority=Majority.ABSOLUTE,
        kind=MotionKind.RECOMMENDATION,
    )
    votes.motion_open(motion_id=motion.pk, actor=clerk)
    votes.vote_record(
        motion_id=motion.pk, member_id=members[0].pk, choice=VoteChoice.FOR, actor=clerk
    )
    votes.motion_close(motion_id=motion.pk, actor=clerk)
    assert not Recommendation.objects.exists()


def test_referral_then_answer_is_tracked(clerk) -> None:
    rec = _recommendation()
    due = timezone.localdate() + timedelta(days=60)
    recommendations.recommendation_refer(recommendation_id=rec.pk, actor=clerk, answer_due=due)
    with pytest.raises(InvalidTransition):
        recommendations.recommendation_refer(recommendation_id=rec.pk, actor=clerk, answer_due=due)
    with pytest.raises(RuleViolation):
        recommendations.recommendation_answer(recommendation_id=rec.pk, actor=clerk, answer=" ")
    recommendations.recommendation_answer(
        recommendation_id=rec.pk, actor=clerk, answer="Adopté au budget 2027."
    )
    rec.refresh_from_db()
    assert rec.status == RecommendationStatus.ANSWERED and rec.answered_at is not None


def test_a_deadline_in_the_past_is_refused(clerk) -> None:
    rec = _recommendation()
    with pytest.raises(RuleViolation):
        recommendations.recommendation_refer(
            recommendation_id=rec.pk, actor=clerk, answer_due=timezone.localdate()
        )


def test_clerks_are_reminded_once_before_the_deadline_and_once_when_overdue(clerk, freeze) -> None:
    start = timezone.now()
    freeze(start)
    rec = _recommendation()
    recommendations.recommendation_refer(
        recommendation_id=rec.pk, actor=clerk, answer_due=timezone.localdate() + timedelta(days=30)
    )
    assert tasks.council_deadlines() == 0
    freeze(start + timedelta(days=20))
    assert tasks.council_deadlines() == 1
    assert tasks.council_deadlines() == 0
    freeze(start + timedelta(days=32))
    assert tasks.council_deadlines() == 1
    assert tasks.council_deadlines() == 0
    assert (
        Notification.objects.filter(recipient=clerk, kind="assembly.council_deadline").count() == 2
    )


def test_an_answered_recommendation_is_not_reminded(clerk, freeze) -> None:
    start = timezone.now()
    freeze(start)
    rec = _recommendation()
    recommendations.recommendation_refer(
        recommendation_id=rec.pk, actor=clerk, answer_due=timezone.localdate() + timedelta(days=5)
    )
    recommendations.recommendation_answer(recommendation_id=rec.pk, actor=clerk, answer="Oui.")
    freeze(start + timedelta(days=10))
    assert tasks.council_deadlines() == 0


def test_conversion_makes_a_real_draft_consultation_and_records_it_once(clerk) -> None:
    from referendums.models import Campaign, OriginKind

    rec = _recommendation()
    recommendations.recommendation_convert_to_referendum(recommendation_id=rec.pk, actor=clerk)
    rec.refresh_from_db()
    draft = Campaign.objects.get()
    assert (draft.origin_kind, draft.origin_id, draft.title_fr) == (
        OriginKind.ASSEMBLY,
        rec.pk,
        "Végétaliser les cours d'école",
    )
    assert (rec.status, rec.target_kind, rec.target_id) == (
        RecommendationStatus.REFERENDUM,
        "referendums.campaign",
        draft.pk,
    )
    with pytest.raises(InvalidTransition):
        recommendations.recommendation_convert_to_referendum(recommendation_id=rec.pk, actor=clerk)
    assert Campaign.objects.count() == 1
    other = _recommendation(rec.mandate)
    with pytest.raises(Conflict) as exc:
        recommendations.recommendation_mark_converted(
            recommendation_id=other.pk,
            actor=clerk,
            target_kind="referendums.campaign",
            target_id=draft.pk,
        )
    assert exc.value.code == "target_taken"
