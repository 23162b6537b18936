"""Recommendations: adopted by a motion, referred to the council with a deadline, answered, or
turned into a referendum campaign draft."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from assembly import tasks
from assembly.models import Majority, MotionKind, Recommendation, RecommendationStatus, VoteChoice
from assembly.services import recommendations, votes
from civic.errors import Conflict, InvalidTransition, PermissionDenied, RuleViolation
from civic.models import AuditEntry, DomainEvent, EventDelivery, Notification
from tests.assembly.factories import MandateFactory
from tests.assembly.publish import draft_created
from tests.factories import ResidentFactory, StaffFactory

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


def _referred_events() -> list[dict]:  # type: ignore[type-arg]
    return list(
        DomainEvent.objects.filter(name="assembly.recommendation_referred")
        .order_by("id")
        .values_list("payload", flat=True)
    )


def test_conversion_asks_for_a_draft_consultation_and_records_it_once(clerk) -> None:
    rec = _recommendation()
    recommendations.recommendation_convert_to_referendum(recommendation_id=rec.pk, actor=clerk)
    rec.refresh_from_db()
    assert rec.status == RecommendationStatus.REFERENDUM_ASKED
    assert rec.referendum_asked_at is not None
    assert _referred_events() == [
        {
            "recommendation_id": rec.pk,
            "mandate_id": rec.mandate_id,
            "title": "Végétaliser les cours d'école",
            "text": "...",
            "source_url": f"/assembly/{rec.mandate_id}/recommandations/",
            "actor_id": clerk.pk,
        }
    ]
    # The referendums app made the draft (campaign 41) and says so.
    draft_created(41, origin_id=rec.pk, actor_id=clerk.pk)
    rec.refresh_from_db()
    assert (rec.status, rec.target_kind, rec.target_id) == (
        RecommendationStatus.REFERENDUM,
        "referendums.campaign",
        41,
    )
    with pytest.raises(InvalidTransition):
        recommendations.recommendation_convert_to_referendum(recommendation_id=rec.pk, actor=clerk)
    assert len(_referred_events()) == 1
    other = _recommendation(rec.mandate)
    with pytest.raises(Conflict) as exc:
        recommendations.recommendation_mark_converted(
            recommendation_id=other.pk,
            actor=clerk,
            target_kind="referendums.campaign",
            target_id=41,
        )
    assert exc.value.code == "target_taken"


@pytest.mark.parametrize("who", ["resident", "moderator"])
def test_only_the_clerk_or_a_manager_may_ask_for_a_referendum_draft(who) -> None:
    actor = ResidentFactory() if who == "resident" else StaffFactory(role=who)
    rec = _recommendation()
    with pytest.raises(PermissionDenied):
        recommendations.recommendation_convert_to_referendum(recommendation_id=rec.pk, actor=actor)
    rec.refresh_from_db()
    assert rec.status == RecommendationStatus.ADOPTED
    assert _referred_events() == []


def test_a_campaign_manager_may_ask_for_a_referendum_draft() -> None:
    rec = _recommendation()
    manager = StaffFactory(role="campaign_manager")
    recommendations.recommendation_convert_to_referendum(recommendation_id=rec.pk, actor=manager)
    assert [e["actor_id"] for e in _referred_events()] == [manager.pk]


def test_hearing_of_the_same_draft_twice_records_it_once(clerk) -> None:
    rec = _recommendation()
    recommendations.recommendation_convert_to_referendum(recommendation_id=rec.pk, actor=clerk)
    draft_created(41, origin_id=rec.pk, actor_id=clerk.pk)
    draft_created(41, origin_id=rec.pk, actor_id=clerk.pk)
    rec.refresh_from_db()
    assert (rec.status, rec.target_id) == (RecommendationStatus.REFERENDUM, 41)
    assert AuditEntry.objects.filter(verb="assembly.recommendation_to_referendum").count() == 1
    assert not EventDelivery.objects.exclude(status="done").exists()


def test_a_draft_from_another_origin_converts_nothing(clerk) -> None:
    rec = _recommendation()
    recommendations.recommendation_convert_to_referendum(recommendation_id=rec.pk, actor=clerk)
    draft_created(41, origin_id=rec.pk, actor_id=clerk.pk, origin_kind="petition")
    rec.refresh_from_db()
    assert (rec.status, rec.target_id) == (RecommendationStatus.REFERENDUM_ASKED, None)


def test_a_second_draft_for_a_converted_recommendation_is_not_recorded(clerk) -> None:
    rec = _recommendation()
    recommendations.recommendation_convert_to_referendum(recommendation_id=rec.pk, actor=clerk)
    draft_created(41, origin_id=rec.pk, actor_id=clerk.pk)
    draft_created(42, origin_id=rec.pk, actor_id=clerk.pk)
    rec.refresh_from_db()
    assert rec.target_id == 41
    # The delivery is done (retrying would not change the answer); the log says why.
    assert not EventDelivery.objects.exclude(status="done").exists()


def test_an_adopted_recommendation_may_be_recorded_converted_directly(clerk) -> None:
    """Open recommendations are those adopted; a recorded draft ends that, whoever asked it."""
    rec = _recommendation()
    assert list(Recommendation.objects.filter(status=RecommendationStatus.ADOPTED)) == [rec]
    recommendations.recommendation_mark_converted(
        recommendation_id=rec.pk, actor=clerk, target_kind="referendums.campaign", target_id=5
    )
    rec.refresh_from_db()
    assert rec.status == RecommendationStatus.REFERENDUM
    assert not Recommendation.objects.filter(status=RecommendationStatus.ADOPTED).exists()
