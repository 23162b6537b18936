"""The petitions' domain events: obligation reached (E1), counts folded (E6), and the assembly's
"agenda item examined" (E2) completing the obligation."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from civic.events import events_drain, publish
from civic.models import AuditEntry, DomainEvent, EventDelivery, EventDeliveryStatus
from petitions import services
from petitions.models import Obligation, ObligationKind, ObligationStatus, Promoter, TrackRung
from tests.factories import ResidentFactory
from tests.petitions.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def now(freeze):  # type: ignore[no-untyped-def]
    return freeze("2026-03-02 10:00")


def _sign(initiative, n):  # type: ignore[no-untyped-def]
    for _ in range(n):
        services.signature_sign(initiative_id=initiative.pk, user=ResidentFactory())


def _payloads(name: str) -> list[dict]:  # type: ignore[type-arg]
    return [e.payload for e in DomainEvent.objects.filter(name=name).order_by("id")]


def _agenda_obligation(initiative):  # type: ignore[no-untyped-def]
    TrackRung.objects.filter(track__initiative=initiative, order=1).update(
        threshold=1, obligation_kind=ObligationKind.ASSEMBLY_AGENDA
    )
    _sign(initiative, 1)
    services.counts_tick()
    return Obligation.objects.get(initiative=initiative)


def _examined(obligation, actor):  # type: ignore[no-untyped-def]
    publish(
        "assembly.agenda_item_examined",
        obligation_id=obligation.pk,
        initiative_id=obligation.initiative_id,
        evidence_url="https://ville.example/assemblee/seance/4/#item-9",
        actor_id=actor.pk,
    )
    events_drain()


# --- E1: petitions.obligation_reached ------------------------------------------------------------


def test_reaching_a_rung_announces_the_obligation_with_the_initiator_then_the_promoters(now):
    initiative = InitiativeFactory(collecting=True)
    cosigned, invited = ResidentFactory(), ResidentFactory()
    at = timezone.now()
    Promoter.objects.create(initiative=initiative, user=cosigned, invited_at=at, cosigned_at=at)
    Promoter.objects.create(initiative=initiative, user=invited, invited_at=at)
    obligation = _agenda_obligation(initiative)
    assert _payloads("petitions.obligation_reached") == [
        {
            "obligation_id": obligation.pk,
            "initiative_id": initiative.pk,
            "kind": "assembly_agenda",
            "title": initiative.title,
            "url": f"/initiatives/{initiative.pk}/",
            "reached_at": obligation.created_at.isoformat(),
            "initiator_user_ids": [initiative.initiator_id, cosigned.pk],
        }
    ]


def test_a_tick_below_every_threshold_announces_no_obligation(now):
    initiative = InitiativeFactory(collecting=True)
    _sign(initiative, 2)
    services.counts_tick()
    assert _payloads("petitions.obligation_reached") == []


def test_a_rung_reached_once_is_announced_once_however_often_it_is_evaluated(now):
    initiative = InitiativeFactory(collecting=True)
    _agenda_obligation(initiative)
    services.rungs_sweep()
    services.rungs_evaluate(initiative_ids=[initiative.pk])
    assert len(_payloads("petitions.obligation_reached")) == 1


# --- E6: petitions.counts_folded -----------------------------------------------------------------


def test_a_tick_that_moved_counts_announces_them_once(now):
    first, second = InitiativeFactory(collecting=True), InitiativeFactory(collecting=True)
    _sign(first, 2)
    _sign(second, 1)
    services.counts_tick()
    assert _payloads("petitions.counts_folded") == [
        {"initiative_ids": sorted([first.pk, second.pk]), "folded_at": timezone.now().isoformat()}
    ]
    services.counts_tick()
    assert len(_payloads("petitions.counts_folded")) == 1


def test_a_tick_with_nothing_to_fold_announces_nothing(now):
    InitiativeFactory(collecting=True)
    services.counts_tick()
    assert _payloads("petitions.counts_folded") == []


def test_a_signature_withdrawn_before_the_tick_moves_no_count_and_announces_nothing(now):
    initiative = InitiativeFactory(collecting=True)
    resident = ResidentFactory()
    services.signature_sign(initiative_id=initiative.pk, user=resident)
    services.signature_withdraw(initiative_id=initiative.pk, user=resident)
    services.counts_tick()
    assert _payloads("petitions.counts_folded") == []


# --- E2: assembly.agenda_item_examined -----------------------------------------------------------


def test_the_assembly_examining_the_item_completes_the_obligation_as_its_clerk(now, clerk):
    obligation = _agenda_obligation(InitiativeFactory(collecting=True))
    _examined(obligation, clerk)
    obligation.refresh_from_db()
    assert obligation.status == ObligationStatus.DONE
    assert obligation.done_by == clerk
    assert obligation.evidence_url == "https://ville.example/assemblee/seance/4/#item-9"
    done = AuditEntry.objects.get(verb="obligation.done")
    assert done.actor_id == clerk.pk
    events_drain()  # the completion's own event (petitions.obligation_done) to its followers
    assert not EventDelivery.objects.exclude(status=EventDeliveryStatus.DONE).exists()


def test_a_repeated_examination_changes_nothing(now, clerk):
    obligation = _agenda_obligation(InitiativeFactory(collecting=True))
    _examined(obligation, clerk)
    _examined(obligation, ResidentFactory())
    obligation.refresh_from_db()
    assert obligation.done_by == clerk
    assert AuditEntry.objects.filter(verb="obligation.done").count() == 1
    assert not EventDelivery.objects.exclude(status=EventDeliveryStatus.DONE).exists()


def test_an_obligation_staff_completed_first_is_left_as_staff_wrote_it(now, clerk, moderator):
    obligation = _agenda_obligation(InitiativeFactory(collecting=True))
    services.obligation_complete(
        obligation_id=obligation.pk, actor=moderator, evidence="Débattue le 3 mars."
    )
    _examined(obligation, clerk)
    obligation.refresh_from_db()
    assert (obligation.done_by, obligation.evidence_text) == (moderator, "Débattue le 3 mars.")
    assert AuditEntry.objects.filter(verb="obligation.done").count() == 1
    assert not EventDelivery.objects.exclude(status=EventDeliveryStatus.DONE).exists()


# --- Re-announcing open obligations (after an upgrade) -------------------------------------------


def test_open_obligations_are_announced_again_with_their_first_payload(now):
    obligation = _agenda_obligation(InitiativeFactory(collecting=True))
    first = _payloads("petitions.obligation_reached")
    call_command("announce_open_obligations", stdout=StringIO())
    assert _payloads("petitions.obligation_reached") == first * 2
    assert first[0]["obligation_id"] == obligation.pk


def test_a_done_obligation_is_not_announced_again(now):
    obligation = _agenda_obligation(InitiativeFactory(collecting=True))
    Obligation.objects.filter(pk=obligation.pk).update(
        status=ObligationStatus.DONE,
        done_at=timezone.now(),
        done_by=ResidentFactory(),
        evidence_text="Rencontre tenue",
    )
    out = StringIO()
    call_command("announce_open_obligations", stdout=out)
    assert len(_payloads("petitions.obligation_reached")) == 1
    assert out.getvalue().startswith("0 ")


def test_announcing_with_no_open_obligation_publishes_nothing(now):
    call_command("announce_open_obligations", stdout=StringIO())
    assert _payloads("petitions.obligation_reached") == []
