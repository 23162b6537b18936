"""Counting, recount and drift, rung crossings, obligations, reminders and the events to and from the assembly."""

from __future__ import annotations

from datetime import timedelta

import pytest

from civic.errors import Conflict, DomainError, PermissionDenied
from civic.events import events_drain, publish
from civic.models import AuditEntry, DomainEvent, Notification
from petitions import services, tasks
from petitions.models import (
    InitiativeCount,
    Obligation,
    ObligationKind,
    ObligationStatus,
    Signature,
    SignatureCountSlot,
    TrackRung,
)
from tests.factories import ResidentFactory
from tests.petitions.factories import CHARTER, LEGAL, InitiativeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def now(freeze):  # type: ignore[no-untyped-def]
    return freeze("2026-03-02 10:00")


def _sign(initiative, n):  # type: ignore[no-untyped-def]
    for _ in range(n):
        services.signature_sign(initiative_id=initiative.pk, user=ResidentFactory())


def _published(initiative):  # type: ignore[no-untyped-def]
    return {c.track: c.count for c in InitiativeCount.objects.filter(initiative=initiative)}


def test_signing_never_updates_the_published_count_in_the_request(now):
    initiative = InitiativeFactory(collecting=True)
    _sign(initiative, 3)
    assert _published(initiative) == {-1: 0, 0: 0}
    # One slot row per signer connection and mask: here one connection, one mask.
    assert list(SignatureCountSlot.objects.values_list("mask", "delta")) == [(1, 3)]


def test_the_fold_publishes_the_exact_count_and_empties_the_slots(now):
    initiative = InitiativeFactory(collecting=True, instruments=[CHARTER, LEGAL])
    _sign(initiative, 5)
    assert services.counts_fold() == [initiative.pk]
    assert _published(initiative) == {-1: 5, 0: 5, 1: 5}
    assert SignatureCountSlot.objects.count() == 0
    assert services.counts_fold() == []


def test_the_fold_names_each_counted_initiative_once_in_order(now):
    # Several slot rows per initiative (masks, signer connections, a withdrawal's -1): the fold
    # returns each initiative whose counts changed once, sorted, and leaves out one whose deltas
    # cancel out.
    first, second, even = (
        InitiativeFactory(collecting=True, instruments=[CHARTER, LEGAL]) for _ in range(3)
    )
    SignatureCountSlot.objects.bulk_create(
        SignatureCountSlot(initiative_id=i.pk, mask=mask, slot=slot, delta=delta)
        for i, mask, slot, delta in [
            (second, 1, 0, 2),
            (second, 3, 4, 1),
            (first, 3, 0, 1),
            (first, 3, 1, 1),
            (first, 2, 2, -1),
            (even, 1, 0, 1),
            (even, 1, 1, -1),
        ]
    )
    assert services.counts_fold() == [first.pk, second.pk]
    assert _published(first) == {-1: 1, 0: 2, 1: 1}
    assert _published(second) == {-1: 3, 0: 3, 1: 1}
    assert _published(even) == {-1: 0, 0: 0, 1: 0}
    assert SignatureCountSlot.objects.count() == 0


def test_a_second_fold_finds_nothing_to_count_twice(now):
    initiative = InitiativeFactory(collecting=True)
    _sign(initiative, 2)
    services.counts_fold()
    services.counts_fold()
    assert _published(initiative)[-1] == 2


def test_the_recount_finds_no_drift_when_counts_are_right(now):
    initiative = InitiativeFactory(collecting=True)
    _sign(initiative, 4)
    assert services.counts_recount() == []  # pending slots are not drift
    services.counts_fold()
    assert services.counts_recount() == []


def test_an_injected_drift_is_detected_repaired_and_audited(now):
    initiative = InitiativeFactory(collecting=True)
    _sign(initiative, 4)
    services.counts_fold()
    InitiativeCount.objects.filter(initiative=initiative, track=-1).update(count=40)
    drifts = services.counts_recount()
    assert [(d.track, d.published, d.actual, d.delta) for d in drifts] == [(-1, 40, 4, -36)]
    services.counts_fold()
    assert _published(initiative) == {-1: 4, 0: 4}
    entry = AuditEntry.objects.get(verb="initiative.count_repaired")
    assert entry.after == [{"track": -1, "count": 4}]
    assert services.counts_recount() == []


def test_a_lost_slot_is_detected_by_the_recount(now):
    initiative = InitiativeFactory(collecting=True)
    _sign(initiative, 3)
    SignatureCountSlot.objects.all().delete()  # a delta lost
    drifts = services.counts_recount(initiative_ids=[initiative.pk])
    assert {d.track: d.delta for d in drifts} == {-1: 3, 0: 3}
    services.counts_fold()
    assert _published(initiative) == {-1: 3, 0: 3}


def test_a_rung_crossing_creates_its_obligation_once(now):
    initiative = InitiativeFactory(collecting=True)
    TrackRung.objects.filter(track__initiative=initiative, order=1).update(threshold=3)
    _sign(initiative, 2)
    services.counts_tick()
    assert Obligation.objects.count() == 0
    _sign(initiative, 1)
    services.counts_tick()
    services.counts_tick()
    obligation = Obligation.objects.get()
    assert obligation.kind == ObligationKind.MEETING
    assert obligation.due_at == obligation.created_at + timedelta(days=21)
    rung = TrackRung.objects.get(track__initiative=initiative, order=1)
    assert rung.reached_count == 3 and rung.reached_at is not None
    assert AuditEntry.objects.filter(verb="initiative.rung_reached").count() == 1
    assert (
        Notification.objects.filter(
            recipient=initiative.initiator, kind="petitions.rung_reached"
        ).count()
        == 1
    )


def test_evaluating_again_after_a_crossing_acts_on_nothing(now):
    initiative = InitiativeFactory(collecting=True)
    TrackRung.objects.filter(track__initiative=initiative, order=1).update(threshold=1)
    _sign(initiative, 1)
    services.counts_fold()
    assert len(services.rungs_evaluate(initiative_ids=[initiative.pk])) == 1
    assert services.rungs_evaluate(initiative_ids=[initiative.pk]) == []
    assert services.rungs_evaluate() == []


def test_a_withdrawal_below_a_reached_rung_does_not_undo_the_obligation(now):
    initiative = InitiativeFactory(collecting=True)
    TrackRung.objects.filter(track__initiative=initiative, order=1).update(threshold=1)
    resident = ResidentFactory()
    services.signature_sign(initiative_id=initiative.pk, user=resident)
    services.counts_tick()
    services.signature_withdraw(initiative_id=initiative.pk, user=resident)
    services.counts_tick()
    assert Obligation.objects.count() == 1


def test_the_legal_share_rung_uses_the_population_stored_at_opening(now):
    initiative = InitiativeFactory(collecting=True, instruments=[LEGAL], instruments__population=20)
    assert TrackRung.objects.get(track__initiative=initiative).threshold == 2
    _sign(initiative, 2)
    services.counts_tick()
    assert Obligation.objects.get().kind == ObligationKind.COUNCIL_AGENDA


def test_signatures_folded_after_the_close_still_reach_a_rung(freeze):
    freeze("2026-03-02 10:00")
    initiative = InitiativeFactory(collecting=True)
    TrackRung.objects.filter(track__initiative=initiative, order=1).update(threshold=2)
    _sign(initiative, 2)
    freeze(initiative.closes_at)
    assert services.initiative_close(initiative_id=initiative.pk)
    assert Obligation.objects.count() == 1


def test_the_close_task_closes_due_initiatives_only(freeze):
    freeze("2026-03-02 10:00")
    due = InitiativeFactory(collecting=True)
    later = InitiativeFactory(collecting=True, closes_at=due.closes_at + timedelta(days=1))
    freeze(due.closes_at)
    assert tasks.close_due_initiatives() == 1
    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.status, later.status) == ("closed", "collecting")


def test_the_seven_days_reminder_is_sent_once(freeze):
    freeze("2026-03-02 10:00")
    initiative = InitiativeFactory(collecting=True)
    assert services.initiatives_remind_closing() == 0
    freeze(initiative.closes_at - timedelta(days=6))
    assert services.initiatives_remind_closing() == 1
    assert services.initiatives_remind_closing() == 0
    assert Notification.objects.filter(kind="petitions.closing_soon").count() == 1


def _obligation(initiative):  # type: ignore[no-untyped-def]
    TrackRung.objects.filter(track__initiative=initiative, order=1).update(threshold=1)
    _sign(initiative, 1)
    services.counts_tick()
    return Obligation.objects.get(initiative=initiative)


def test_obligations_due_soon_are_reminded_once_and_overdue_ones_flagged_once(freeze, moderator):
    freeze("2026-03-02 10:00")
    obligation = _obligation(InitiativeFactory(collecting=True))
    freeze(obligation.due_at - timedelta(days=2))
    assert services.obligations_remind_due() == 1
    assert services.obligations_remind_due() == 0
    assert services.obligations_flag_overdue() == 0
    freeze(obligation.due_at + timedelta(hours=1))
    assert services.obligations_flag_overdue() == 1
    assert services.obligations_flag_overdue() == 0
    assert AuditEntry.objects.filter(verb="obligation.overdue").count() == 1
    assert (
        Notification.objects.filter(
            recipient=moderator, kind="petitions.obligation_overdue"
        ).count()
        == 1
    )


def test_staff_mark_an_obligation_done_with_evidence(now, moderator):
    obligation = _obligation(InitiativeFactory(collecting=True))
    services.obligation_complete(
        obligation_id=obligation.pk, actor=moderator, evidence="https://ville.example.org/cr-42"
    )
    obligation.refresh_from_db()
    assert obligation.status == ObligationStatus.DONE and obligation.evidence_url.endswith("cr-42")
    assert obligation.done_by == moderator


def test_an_obligation_without_evidence_or_by_a_resident_or_twice_is_refused(now, moderator):
    obligation = _obligation(InitiativeFactory(collecting=True))
    with pytest.raises(DomainError) as caught:
        services.obligation_complete(obligation_id=obligation.pk, actor=moderator, evidence="  ")
    assert caught.value.code == "evidence_required"
    with pytest.raises(PermissionDenied):
        services.obligation_complete(
            obligation_id=obligation.pk, actor=ResidentFactory(), evidence="fait"
        )
    services.obligation_complete(
        obligation_id=obligation.pk, actor=moderator, evidence="Réunion tenue le 3 mars."
    )
    with pytest.raises(Conflict) as caught2:
        services.obligation_complete(
            obligation_id=obligation.pk, actor=moderator, evidence="encore"
        )
    assert caught2.value.code == "obligation_already_done"


def test_an_agenda_obligation_is_announced_to_the_assembly_and_completed_by_its_answer(now, clerk):
    """What the assembly read from `reached_obligations` now travels in the event, and what it
    called `obligation_complete` for is its `assembly.agenda_item_examined` event."""
    initiative = InitiativeFactory(collecting=True)
    TrackRung.objects.filter(track__initiative=initiative, order=1).update(
        obligation_kind=ObligationKind.ASSEMBLY_AGENDA
    )
    obligation = _obligation(initiative)
    reached = [e.payload for e in DomainEvent.objects.filter(name="petitions.obligation_reached")]
    assert [r["obligation_id"] for r in reached] == [obligation.pk]
    assert reached[0]["kind"] == "assembly_agenda"
    assert reached[0]["initiator_user_ids"] == [initiative.initiator_id]
    assert reached[0]["url"] == f"/initiatives/{initiative.pk}/"
    publish(
        "assembly.agenda_item_examined",
        obligation_id=obligation.pk,
        initiative_id=initiative.pk,
        evidence_url="Inscrite à la séance du 12 avril.",
        actor_id=clerk.pk,
    )
    events_drain()
    obligation.refresh_from_db()
    assert obligation.status == ObligationStatus.DONE
    assert obligation.done_by == clerk


@pytest.mark.parametrize("signatures", [3, 30])
def test_the_tick_does_no_work_proportional_to_signatures(
    now, signatures, django_assert_num_queries
):
    initiative = InitiativeFactory(collecting=True)
    _sign(initiative, signatures)
    services.counts_fold()
    # savepoint, the folds' turn lock, the fold finding no slot, release: the same for 3 or 30
    # signatures.
    with django_assert_num_queries(4):
        services.counts_tick()
    assert Signature.objects.count() == signatures
