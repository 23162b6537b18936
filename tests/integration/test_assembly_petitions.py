"""An initiative reaches the assembly's agenda, and the assembly tells petitions it examined it:
both through the events the two apps agreed on (neither imports the other)."""

from __future__ import annotations

import pytest

from assembly.models import AgendaItem, SourceKind
from assembly.services import sessions
from civic.events import events_drain
from civic.models import Notification
from petitions import services as petitions
from petitions.models import Obligation, ObligationKind, ObligationStatus, TrackRung
from tests.assembly.factories import MandateFactory, SessionFactory
from tests.factories import ResidentFactory, StaffFactory
from tests.petitions.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


def test_a_real_petitions_obligation_is_placed_then_completed_when_the_session_closes():
    clerk = StaffFactory(role="assembly_clerk")
    session = SessionFactory(mandate=MandateFactory(seated=True))
    initiative = InitiativeFactory(collecting=True)
    TrackRung.objects.filter(track__initiative=initiative, order=1).update(
        threshold=1, obligation_kind=ObligationKind.ASSEMBLY_AGENDA
    )
    petitions.signature_sign(initiative_id=initiative.pk, user=ResidentFactory())
    petitions.counts_fold()
    [obligation_id] = petitions.rungs_evaluate(initiative_ids=[initiative.pk])
    events_drain()  # E1: the assembly records the request and places it
    item = AgendaItem.objects.get(source_kind=SourceKind.INITIATIVE)
    assert (item.session, item.source_id, item.obligation_id) == (
        session,
        initiative.pk,
        obligation_id,
    )
    assert (
        Notification.objects.filter(
            recipient=initiative.initiator, kind="assembly.initiative_on_agenda"
        ).count()
        == 1
    )
    sessions.session_publish_agenda(session_id=session.pk, actor=clerk)
    sessions.session_open(session_id=session.pk, actor=clerk)
    sessions.session_close(session_id=session.pk, actor=clerk)
    events_drain()  # E2: petitions completes the obligation, the clerk accountable
    obligation = Obligation.objects.get(pk=obligation_id)
    assert obligation.status == ObligationStatus.DONE
    assert obligation.done_by == clerk
    events_drain()
    assert AgendaItem.objects.filter(source_kind=SourceKind.INITIATIVE).count() == 1


def test_the_shipped_charter_ladder_puts_an_initiative_on_the_agenda_out_of_the_box():
    session = SessionFactory(mandate=MandateFactory(seated=True))
    initiative = InitiativeFactory(collecting=True)  # on the charter ladder the city ships
    rung = TrackRung.objects.get(
        track__initiative=initiative, obligation_kind=ObligationKind.ASSEMBLY_AGENDA
    )
    assert (rung.order, rung.threshold) == (2, 300)
    # Reach it (and the meeting rung below it) with one signature instead of three hundred.
    TrackRung.objects.filter(track__initiative=initiative, order__lte=rung.order).update(
        threshold=1
    )
    petitions.signature_sign(initiative_id=initiative.pk, user=ResidentFactory())
    petitions.counts_fold()
    assert len(petitions.rungs_evaluate(initiative_ids=[initiative.pk])) == 2
    events_drain()
    [item] = AgendaItem.objects.filter(source_kind=SourceKind.INITIATIVE, source_id=initiative.pk)
    assert item.session == session
    assert item.title == initiative.title
