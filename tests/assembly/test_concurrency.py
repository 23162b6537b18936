"""Races on real PostgreSQL: the invariants hold in the database, whoever wins."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection
from django.utils import timezone

from assembly.models import AgendaItem, Member, MemberStatus, MotionVote, Reserve, SessionStatus
from assembly.services import agenda_requests, draw, votes
from civic.errors import DomainError
from tests.assembly.factories import MandateFactory, MemberFactory, SessionFactory, VolunteerFactory
from tests.assembly.publish import obligation_reached

pytestmark = pytest.mark.django_db(transaction=True)


def race(*calls: Callable[[], object]) -> list[object]:
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[i] = call()
        except DomainError as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_placement_jobs_racing_place_an_initiative_once() -> None:
    obligation_reached(9, users=[], obligation_id=1)  # no assembly yet: the request waits
    mandate = MandateFactory(seated=True)
    SessionFactory(mandate=mandate)
    results = race(agenda_requests.agenda_requests_place, agenda_requests.agenda_requests_place)
    assert sorted(results) == [0, 1]  # type: ignore[type-var]
    assert AgendaItem.objects.filter(source_id=9).count() == 1


def test_two_members_leaving_at_once_never_share_one_reserve(clerk) -> None:
    mandate = MandateFactory(seated=True, size=2)
    a, b = MemberFactory(mandate=mandate, seat=1), MemberFactory(mandate=mandate, seat=2)
    Reserve.objects.create(mandate=mandate, volunteer=VolunteerFactory(mandate=mandate), rank=1)
    race(
        lambda: draw.member_leave(member_id=a.pk, actor=clerk),
        lambda: draw.member_leave(member_id=b.pk, actor=clerk),
    )
    statuses = sorted(Member.objects.filter(pk__in=[a.pk, b.pk]).values_list("status", flat=True))
    assert statuses == [MemberStatus.LEFT, MemberStatus.REPLACED]
    assert Member.objects.filter(mandate=mandate, status=MemberStatus.ACTIVE).count() == 1


def test_the_same_departure_recorded_twice_at_once_replaces_once(clerk) -> None:
    mandate = MandateFactory(seated=True, size=1)
    a = MemberFactory(mandate=mandate, seat=1)
    for rank in (1, 2):
        Reserve.objects.create(
            mandate=mandate, volunteer=VolunteerFactory(mandate=mandate), rank=rank
        )
    results = race(
        lambda: draw.member_leave(member_id=a.pk, actor=clerk),
        lambda: draw.member_leave(member_id=a.pk, actor=clerk),
    )
    assert sum(isinstance(r, DomainError) for r in results) == 1
    assert Member.objects.filter(mandate=mandate, status=MemberStatus.ACTIVE).count() == 1


def test_two_clerks_recording_one_member_vote_at_once_keep_one_vote(clerk) -> None:
    mandate = MandateFactory(seated=True, size=1, quorum_percent=100)
    member = MemberFactory(mandate=mandate, seat=1)
    session = SessionFactory(mandate=mandate, status=SessionStatus.OPEN, starts_at=timezone.now())
    votes.attendance_record(session_id=session.pk, member_id=member.pk, present=True, actor=clerk)
    motion = votes.motion_create(session_id=session.pk, actor=clerk, title="M", majority="simple")
    votes.motion_open(motion_id=motion.pk, actor=clerk)
    race(
        lambda: votes.vote_record(
            motion_id=motion.pk, member_id=member.pk, choice="for", actor=clerk
        ),
        lambda: votes.vote_record(
            motion_id=motion.pk, member_id=member.pk, choice="against", actor=clerk
        ),
    )
    assert MotionVote.objects.filter(motion=motion).count() == 1


def test_two_draws_at_once_seat_one_panel_from_the_named_round(recruiting, clerk, freeze) -> None:
    from datetime import timedelta

    from assembly.models import DrawCommitment
    from assembly.services import commitment as commitments
    from tests.assembly.conftest import BALANCED_POOL
    from tests.assembly.drand_relay import synthetic_round

    mandate = recruiting(BALANCED_POOL)
    start = timezone.now()
    freeze(start)
    commitments.commitment_publish(
        mandate_id=mandate.pk, actor=clerk, seed_expected_at=start + timedelta(days=1)
    )
    freeze(start + timedelta(days=2))
    results = race(
        lambda: draw.draw_run(mandate_id=mandate.pk, actor=clerk),
        lambda: draw.draw_run(mandate_id=mandate.pk, actor=clerk),
    )
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 1 and refused[0].code in {"already_drawn", "invalid_transition"}
    commitment = DrawCommitment.objects.get(mandate=mandate)
    assert commitment.seed == synthetic_round(commitment.beacon_round)["randomness"]
    assert Member.objects.filter(mandate=mandate).count() == 4


def test_two_draws_of_one_invitation_batch_invite_once(clerk) -> None:
    from assembly.models import Invitation
    from assembly.services import recruitment
    from tests.assembly.test_composition import _recruiting_with_register

    mandate, _entries = _recruiting_with_register(clerk, 10)
    batch = recruitment.invitations_commit(mandate_id=mandate.pk, actor=clerk, count=4)
    results = race(
        lambda: recruitment.invitations_draw(batch_id=batch.pk, actor=clerk),
        lambda: recruitment.invitations_draw(batch_id=batch.pk, actor=clerk),
    )
    assert sum(isinstance(r, DomainError) for r in results) == 1
    assert Invitation.objects.filter(mandate=mandate).count() == 4
