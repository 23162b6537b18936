"""Agenda, initiative placement, attendance, quorum, votes, majorities and minutes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from assembly import tasks
from assembly.models import (
    AgendaItem,
    AgendaRequest,
    Majority,
    MandateStatus,
    Minutes,
    MinutesStatus,
    MotionKind,
    MotionResult,
    SessionStatus,
    SourceKind,
    VoteChoice,
)
from assembly.rules import Tally, is_adopted, quorum_met, quorum_needed
from assembly.services import agenda_requests, draw, sessions, votes
from assembly.services import minutes as minutes_services
from civic.errors import Conflict, InvalidTransition, NotFound, RuleViolation
from civic.models import AuditEntry, DomainEvent, Notification
from tests.assembly.factories import MandateFactory, SessionFactory
from tests.assembly.publish import obligation_reached
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db


# --- Majorities and quorum, as pure rules -------------------------------------------------------


@pytest.mark.parametrize(
    ("majority", "f", "a", "s", "present", "adopted"),
    [
        # simple: for > against, abstentions ignored, tie rejected
        (Majority.SIMPLE, 3, 2, 10, 15, True),
        (Majority.SIMPLE, 2, 2, 0, 4, False),
        (Majority.SIMPLE, 0, 0, 5, 5, False),
        (Majority.SIMPLE, 1, 0, 20, 21, True),
        # absolute: for > half of members present (abstentions weigh against)
        (Majority.ABSOLUTE, 6, 0, 4, 10, True),
        (Majority.ABSOLUTE, 5, 0, 5, 10, False),  # exactly half is not a majority
        (Majority.ABSOLUTE, 5, 4, 0, 9, True),  # 5 > 4.5
        (Majority.ABSOLUTE, 4, 0, 0, 9, False),  # present but silent members count
        # two thirds of votes cast, abstentions excluded, exactly 2/3 adopts
        (Majority.TWO_THIRDS, 2, 1, 0, 3, True),
        (Majority.TWO_THIRDS, 6, 3, 30, 39, True),
        (Majority.TWO_THIRDS, 5, 3, 0, 8, False),  # 62.5 %
        (Majority.TWO_THIRDS, 7, 3, 0, 10, True),  # 70 %
        (Majority.TWO_THIRDS, 0, 0, 4, 4, False),  # no vote cast
    ],
)
def test_majority_rules_on_their_boundaries(majority, f, a, s, present, adopted) -> None:  # type: ignore[no-untyped-def]
    assert is_adopted(majority, Tally(f, a, s, present)) is adopted


@pytest.mark.parametrize(
    ("present", "active", "percent", "met"),
    [
        (3, 5, 50, True),
        (2, 5, 50, False),
        (5, 10, 50, True),
        (4, 10, 50, False),
        (0, 0, 50, False),
        (7, 10, 67, True),
        (6, 9, 66, True),
        (6, 9, 67, False),
        (6, 10, 67, False),
    ],
)
def test_quorum_boundaries(present, active, percent, met) -> None:  # type: ignore[no-untyped-def]
    assert quorum_met(present=present, active=active, quorum_percent=percent) is met
    if active:
        needed = quorum_needed(active=active, quorum_percent=percent)
        assert quorum_met(present=needed, active=active, quorum_percent=percent)
        assert not quorum_met(present=needed - 1, active=active, quorum_percent=percent)


# --- Agenda ---------------------------------------------------------------------------------------


def test_an_item_fits_the_session_time_or_is_refused(clerk) -> None:
    session = SessionFactory(capacity_minutes=90)
    sessions.agenda_item_add(session_id=session.pk, actor=clerk, title="A", duration_minutes=60)
    sessions.agenda_item_add(session_id=session.pk, actor=clerk, title="B", duration_minutes=30)
    with pytest.raises(Conflict) as exc:
        sessions.agenda_item_add(session_id=session.pk, actor=clerk, title="C", duration_minutes=1)
    assert exc.value.code == "session_full"
    assert list(session.agenda_items.values_list("position", flat=True)) == [1, 2]


def test_a_closed_session_takes_no_new_item(clerk) -> None:
    session = SessionFactory(status=SessionStatus.CLOSED)
    with pytest.raises(InvalidTransition):
        sessions.agenda_item_add(session_id=session.pk, actor=clerk, title="A", duration_minutes=10)


def test_an_initiative_that_reached_its_rung_is_placed_once_even_if_the_job_runs_twice() -> None:
    initiator = ResidentFactory()
    obligation_reached(7, users=[initiator.pk])  # no assembly yet: the request waits
    mandate = MandateFactory(seated=True, initiative_item_minutes=30)
    session = SessionFactory(mandate=mandate)
    assert tasks.place_initiatives() == 1
    assert tasks.place_initiatives() == 0
    item = AgendaItem.objects.get()
    assert (item.session, item.source_kind, item.source_id, item.duration_minutes) == (
        session,
        SourceKind.INITIATIVE,
        7,
        30,
    )
    assert item.source_url == "/initiatives/7/"
    assert (
        Notification.objects.filter(
            recipient=initiator, kind="assembly.initiative_on_agenda"
        ).count()
        == 1
    )


def test_an_initiative_is_placed_as_soon_as_its_event_arrives_when_a_session_has_room() -> None:
    initiator = ResidentFactory()
    session = SessionFactory(mandate=MandateFactory(seated=True))
    obligation_reached(7, users=[initiator.pk], obligation_id=70)
    item = AgendaItem.objects.get()
    assert (item.session, item.source_id, item.obligation_id) == (session, 7, 70)
    request = AgendaRequest.objects.get()
    assert (request.placed_item, request.initiator_user_ids) == (item, [initiator.pk])
    assert Notification.objects.filter(recipient=initiator).count() == 1


def test_the_same_rung_announced_twice_is_recorded_and_placed_once() -> None:
    initiator = ResidentFactory()
    SessionFactory(mandate=MandateFactory(seated=True))
    obligation_reached(7, users=[initiator.pk])
    obligation_reached(7, users=[initiator.pk])
    assert AgendaRequest.objects.count() == 1
    assert AgendaItem.objects.count() == 1
    assert Notification.objects.filter(recipient=initiator).count() == 1
    assert tasks.place_initiatives() == 0


def test_an_obligation_of_another_kind_is_not_an_agenda_request() -> None:
    SessionFactory(mandate=MandateFactory(seated=True))
    obligation_reached(7, users=[], kind="meeting")
    assert not AgendaRequest.objects.exists()
    assert not AgendaItem.objects.exists()


def test_the_database_refuses_a_second_item_for_the_same_initiative(clerk) -> None:
    mandate = MandateFactory(seated=True)
    first, second = SessionFactory(mandate=mandate), SessionFactory(mandate=mandate)
    sessions.agenda_item_add(
        session_id=first.pk,
        actor=None,
        title="x",
        duration_minutes=10,
        source_kind=SourceKind.INITIATIVE,
        source_id=7,
    )
    with pytest.raises(Conflict) as exc:
        sessions.agenda_item_add(
            session_id=second.pk,
            actor=None,
            title="x",
            duration_minutes=10,
            source_kind=SourceKind.INITIATIVE,
            source_id=7,
        )
    assert exc.value.code == "already_placed"


def test_initiatives_go_to_the_next_session_with_room() -> None:
    start = timezone.now()
    for n in (1, 2, 3):  # before the assembly is seated: all three wait, oldest first
        obligation_reached(n, users=[], reached_at=start + timedelta(minutes=n))
    mandate = MandateFactory(seated=True, initiative_item_minutes=60)
    soon = SessionFactory(
        mandate=mandate, capacity_minutes=90, starts_at=timezone.now() + timedelta(days=2)
    )
    later = SessionFactory(
        mandate=mandate, capacity_minutes=120, starts_at=timezone.now() + timedelta(days=20)
    )
    SessionFactory(
        mandate=mandate,
        status=SessionStatus.CANCELLED,
        starts_at=timezone.now() + timedelta(days=1),
    )
    assert agenda_requests.agenda_requests_place() == 3
    placed = dict(AgendaItem.objects.values_list("source_id", "session_id"))
    assert placed == {1: soon.pk, 2: later.pk, 3: later.pk}


def test_initiatives_wait_when_no_session_has_room() -> None:
    mandate = MandateFactory(seated=True, initiative_item_minutes=60)
    SessionFactory(mandate=mandate, capacity_minutes=30)
    SessionFactory(mandate=mandate, starts_at=timezone.now() - timedelta(days=1))  # past
    obligation_reached(1, users=[])
    assert agenda_requests.agenda_requests_place() == 0
    assert not AgendaItem.objects.exists()
    assert AgendaRequest.objects.filter(placed_item__isnull=True).count() == 1


def test_no_seated_assembly_means_nothing_is_placed() -> None:
    SessionFactory(mandate=MandateFactory(status=MandateStatus.COMMITTED))
    obligation_reached(1, users=[])
    assert agenda_requests.agenda_requests_place() == 0
    assert not AgendaItem.objects.exists()


def test_closing_the_session_announces_each_initiative_it_examined(clerk) -> None:
    session = SessionFactory(mandate=MandateFactory(seated=True))
    initiator = ResidentFactory()
    obligation_reached(9, users=[initiator.pk], obligation_id=77)
    item = AgendaItem.objects.get(source_kind=SourceKind.INITIATIVE)
    assert (item.source_id, item.obligation_id) == (9, 77)
    sessions.session_publish_agenda(session_id=session.pk, actor=clerk)
    sessions.session_open(session_id=session.pk, actor=clerk)
    assert not DomainEvent.objects.filter(name="assembly.agenda_item_examined").exists()
    sessions.session_close(session_id=session.pk, actor=clerk)
    [event] = DomainEvent.objects.filter(name="assembly.agenda_item_examined")
    assert event.payload == {
        "obligation_id": 77,
        "initiative_id": 9,
        "evidence_url": f"/assembly/seances/{session.pk}/#item-{item.pk}",
        "actor_id": clerk.pk,
    }
    assert AgendaRequest.objects.get().examined_at is not None
    assert tasks.place_initiatives() == 0  # answered: never placed again


def test_a_session_closed_without_initiatives_announces_nothing(clerk) -> None:
    session = SessionFactory(mandate=MandateFactory(seated=True))
    sessions.agenda_item_add(session_id=session.pk, actor=clerk, title="A", duration_minutes=10)
    sessions.session_publish_agenda(session_id=session.pk, actor=clerk)
    sessions.session_open(session_id=session.pk, actor=clerk)
    sessions.session_close(session_id=session.pk, actor=clerk)
    assert not DomainEvent.objects.filter(name="assembly.agenda_item_examined").exists()


# --- Publication and reminders ------------------------------------------------------------------


def test_agendas_are_published_ahead_and_members_reminded_once(seated, freeze) -> None:
    mandate, members = seated(members=2)
    user = ResidentFactory(register_entry=members[0].volunteer.register_entry)
    start = timezone.now()
    freeze(start)
    session = SessionFactory(mandate=mandate, starts_at=start + timedelta(days=10))
    assert tasks.publish_agendas() == 0
    freeze(start + timedelta(days=4))
    assert tasks.publish_agendas() == 1
    session.refresh_from_db()
    assert session.status == SessionStatus.PUBLISHED
    assert tasks.publish_agendas() == 0
    freeze(start + timedelta(days=8, hours=12))
    assert tasks.remind_members() == 1
    assert tasks.remind_members() == 0
    kinds = list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))
    assert sorted(kinds) == ["assembly.agenda_published", "assembly.session_reminder"]


# --- Attendance, quorum and votes ---------------------------------------------------------------


def _present(session, members, clerk, n):  # type: ignore[no-untyped-def]
    for member in members[:n]:
        votes.attendance_record(
            session_id=session.pk, member_id=member.pk, present=True, actor=clerk
        )


def test_a_vote_cannot_open_without_quorum_and_the_refusal_names_the_rule(
    open_session, clerk
) -> None:
    session, members = open_session
    _present(session, members, clerk, 2)  # 2 of 5, quorum 50 % needs 3
    motion = votes.motion_create(
        session_id=session.pk, actor=clerk, title="M", majority=Majority.SIMPLE
    )
    with pytest.raises(RuleViolation) as exc:
        votes.motion_open(motion_id=motion.pk, actor=clerk)
    assert exc.value.code == "quorum_not_met"
    assert exc.value.rule == session.mandate.rules_reference
    motion.refresh_from_db()
    assert motion.status == "draft"


def test_a_vote_opens_at_exactly_the_quorum(open_session, clerk) -> None:
    session, members = open_session
    _present(session, members, clerk, 3)
    motion = votes.motion_create(
        session_id=session.pk, actor=clerk, title="M", majority=Majority.SIMPLE
    )
    assert votes.motion_open(motion_id=motion.pk, actor=clerk).status == "open"


def test_members_who_left_do_not_count_towards_the_quorum(open_session, clerk) -> None:

    session, members = open_session
    _present(session, members, clerk, 3)
    draw.member_leave(member_id=members[0].pk, actor=clerk)  # no reserve: 4 active, 2 present
    status = votes.quorum_status(session)
    assert (status["active"], status["present"], status["met"]) == (4, 2, True)  # 2/4 = 50 %


def test_only_present_members_vote_and_only_while_the_vote_is_open(open_session, clerk) -> None:
    session, members = open_session
    _present(session, members, clerk, 3)
    motion = votes.motion_create(
        session_id=session.pk, actor=clerk, title="M", majority=Majority.SIMPLE
    )
    with pytest.raises(InvalidTransition):
        votes.vote_record(
            motion_id=motion.pk, member_id=members[0].pk, choice=VoteChoice.FOR, actor=clerk
        )
    votes.motion_open(motion_id=motion.pk, actor=clerk)
    with pytest.raises(RuleViolation) as exc:
        votes.vote_record(
            motion_id=motion.pk, member_id=members[4].pk, choice=VoteChoice.FOR, actor=clerk
        )
    assert exc.value.code == "member_not_present"
    with pytest.raises(NotFound):
        votes.vote_record(motion_id=motion.pk, member_id=999999, choice=VoteChoice.FOR, actor=clerk)


def test_a_corrected_vote_replaces_the_first_and_each_member_counts_once(
    open_session, clerk
) -> None:
    session, members = open_session
    _present(session, members, clerk, 3)
    motion = votes.motion_create(
        session_id=session.pk, actor=clerk, title="M", majority=Majority.SIMPLE
    )
    votes.motion_open(motion_id=motion.pk, actor=clerk)
    votes.vote_record(
        motion_id=motion.pk, member_id=members[0].pk, choice=VoteChoice.AGAINST, actor=clerk
    )
    votes.vote_record(
        motion_id=motion.pk, member_id=members[0].pk, choice=VoteChoice.FOR, actor=clerk
    )
    motion = votes.motion_close(motion_id=motion.pk, actor=clerk)
    assert (motion.votes_for, motion.votes_against, motion.abstentions) == (1, 0, 0)
    assert AuditEntry.objects.filter(verb="assembly.vote_correct").count() == 1


@pytest.mark.parametrize(
    ("majority", "choices", "result"),
    [
        (Majority.SIMPLE, ["for", "against", "abstain"], MotionResult.REJECTED),  # tie
        (Majority.SIMPLE, ["for", "abstain", "abstain"], MotionResult.ADOPTED),
        (
            Majority.ABSOLUTE,
            ["for", "abstain", "abstain", "for"],
            MotionResult.REJECTED,
        ),  # 2 of 4 present
        (Majority.ABSOLUTE, ["for", "for", "for", "against"], MotionResult.ADOPTED),
        (
            Majority.TWO_THIRDS,
            ["for", "for", "against", "abstain"],
            MotionResult.ADOPTED,
        ),  # exactly 2/3
        (Majority.TWO_THIRDS, ["for", "against", "abstain", "abstain"], MotionResult.REJECTED),
    ],
)
def test_the_system_computes_the_result_by_the_required_majority(
    open_session, clerk, majority, choices, result
) -> None:  # type: ignore[no-untyped-def]
    session, members = open_session
    _present(session, members, clerk, len(choices))
    motion = votes.motion_create(session_id=session.pk, actor=clerk, title="M", majority=majority)
    votes.motion_open(motion_id=motion.pk, actor=clerk)
    for member, choice in zip(members, choices, strict=False):
        votes.vote_record(motion_id=motion.pk, member_id=member.pk, choice=choice, actor=clerk)
    motion = votes.motion_close(motion_id=motion.pk, actor=clerk)
    assert motion.result == result
    assert motion.present_count == len(choices)
    assert motion.active_count == 5


# --- Minutes ------------------------------------------------------------------------------------


def _held_session(mandate, members, clerk, *, days_ago: int):  # type: ignore[no-untyped-def]
    session = SessionFactory(
        mandate=mandate,
        status=SessionStatus.OPEN,
        starts_at=timezone.now() - timedelta(days=days_ago),
    )
    AgendaItem.objects.create(
        mandate=mandate,
        session=session,
        position=1,
        title="Budget participatif",
        duration_minutes=30,
        source_kind=SourceKind.STAFF,
    )
    _present(session, members, clerk, 4)
    motion = votes.motion_create(
        session_id=session.pk, actor=clerk, title="Motion budget", majority=Majority.SIMPLE
    )
    votes.motion_open(motion_id=motion.pk, actor=clerk)
    for member in members[:3]:
        votes.vote_record(
            motion_id=motion.pk, member_id=member.pk, choice=VoteChoice.FOR, actor=clerk
        )
    votes.motion_close(motion_id=motion.pk, actor=clerk)
    sessions.session_close(session_id=session.pk, actor=clerk)
    return session


def test_closing_a_session_drafts_minutes_from_agenda_attendance_and_votes(seated, clerk) -> None:
    mandate, members = seated()
    session = _held_session(mandate, members, clerk, days_ago=14)
    minutes = Minutes.objects.get(session=session)
    assert minutes.status == MinutesStatus.DRAFT
    assert "Budget participatif" in minutes.body
    assert "4" in minutes.body and members[0].first_name in minutes.body
    assert "Motion budget" in minutes.body and "3 pour" in minutes.body


def test_minutes_are_edited_then_approved_at_a_later_session_then_published(
    seated, clerk, client
) -> None:
    mandate, members = seated()
    first = _held_session(mandate, members, clerk, days_ago=14)
    minutes_services.minutes_edit(session_id=first.pk, body="Procès-verbal relu.", actor=clerk)
    second = SessionFactory(mandate=mandate, status=SessionStatus.OPEN, starts_at=timezone.now())
    with pytest.raises(InvalidTransition) as exc:
        minutes_services.minutes_publish(session_id=first.pk, actor=clerk)
    assert exc.value.code == "minutes_not_approved"
    assert (
        "Procès-verbal relu." not in client.get(f"/assembly/seances/{first.pk}/").content.decode()
    )
    minutes = minutes_services.minutes_approve(
        session_id=first.pk, at_session_id=second.pk, actor=clerk
    )
    assert minutes.approved_in == second
    with pytest.raises(InvalidTransition):
        minutes_services.minutes_edit(session_id=first.pk, body="retouche", actor=clerk)
    minutes_services.minutes_publish(session_id=first.pk, actor=clerk)
    assert "Procès-verbal relu." in client.get(f"/assembly/seances/{first.pk}/").content.decode()


def test_minutes_cannot_be_approved_at_their_own_session_or_an_earlier_one(seated, clerk) -> None:
    mandate, members = seated()
    earlier = SessionFactory(
        mandate=mandate, status=SessionStatus.OPEN, starts_at=timezone.now() - timedelta(days=30)
    )
    held = _held_session(mandate, members, clerk, days_ago=14)
    for at in (earlier,):
        with pytest.raises(RuleViolation) as exc:
            minutes_services.minutes_approve(session_id=held.pk, at_session_id=at.pk, actor=clerk)
        assert exc.value.code == "approval_not_later_session"
    with pytest.raises(InvalidTransition):  # the session itself is closed now
        minutes_services.minutes_approve(session_id=held.pk, at_session_id=held.pk, actor=clerk)
    assert Minutes.objects.get(session=held).status == MinutesStatus.DRAFT


def test_minutes_are_approved_by_an_adopted_approval_motion_and_not_by_a_rejected_one(
    seated, clerk
) -> None:
    mandate, members = seated()
    held = _held_session(mandate, members, clerk, days_ago=14)
    later = SessionFactory(mandate=mandate, status=SessionStatus.OPEN, starts_at=timezone.now())
    _present(later, members, clerk, 3)

    def vote(choices: list[str]):  # type: ignore[no-untyped-def]
        motion = votes.motion_create(
            session_id=later.pk,
            actor=clerk,
            title="Approbation du PV",
            majority=Majority.SIMPLE,
            kind=MotionKind.MINUTES_APPROVAL,
            minutes_session_id=held.pk,
        )
        votes.motion_open(motion_id=motion.pk, actor=clerk)
        for member, choice in zip(members, choices, strict=False):
            votes.vote_record(motion_id=motion.pk, member_id=member.pk, choice=choice, actor=clerk)
        return votes.motion_close(motion_id=motion.pk, actor=clerk)

    rejected = vote(["against", "against", "for"])
    assert rejected.result == MotionResult.REJECTED
    assert Minutes.objects.get(session=held).status == MinutesStatus.DRAFT
    adopted = vote(["for", "for", "abstain"])
    minutes = Minutes.objects.get(session=held)
    assert minutes.status == MinutesStatus.APPROVED
    assert minutes.approval_motion == adopted and minutes.approved_in == later
    with pytest.raises(InvalidTransition):  # approval motions for approved minutes are refused
        votes.motion_create(
            session_id=later.pk,
            actor=clerk,
            title="x",
            majority=Majority.SIMPLE,
            kind=MotionKind.MINUTES_APPROVAL,
            minutes_session_id=held.pk,
        )


def test_a_session_with_an_open_vote_cannot_close(open_session, clerk) -> None:
    session, members = open_session
    _present(session, members, clerk, 3)
    motion = votes.motion_create(
        session_id=session.pk, actor=clerk, title="M", majority=Majority.SIMPLE
    )
    votes.motion_open(motion_id=motion.pk, actor=clerk)
    with pytest.raises(Conflict) as exc:
        sessions.session_close(session_id=session.pk, actor=clerk)
    assert exc.value.code == "vote_open"
