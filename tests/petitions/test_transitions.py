"""Every initiative transition goes through the transition table (services/transitions.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Q
from django.utils import timezone

from civic.errors import InvalidTransition
from petitions.models import Initiative, Status
from petitions.rules import collection_closed_q
from petitions.services.transitions import initiative_move, initiative_move_where
from petitions.workflow import ALLOWED, STAMPED
from tests.petitions.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


def test_every_reachable_status_records_its_timestamp():
    reachable = {target for targets in ALLOWED.values() for target in targets}
    assert reachable == set(STAMPED)


def test_a_move_the_table_allows_sets_the_status_and_its_timestamp(freeze):
    freeze("2026-03-02 10:00")
    initiative = InitiativeFactory()
    before = initiative_move(initiative, Status.SUBMITTED, now=timezone.now())
    initiative.refresh_from_db()
    assert before == {"status": Status.DRAFT}
    assert (initiative.status, initiative.submitted_at) == (Status.SUBMITTED, timezone.now())


def test_a_move_the_table_forbids_is_refused_and_saves_nothing(freeze):
    freeze("2026-03-02 10:00")
    initiative = InitiativeFactory()
    with pytest.raises(InvalidTransition):
        initiative_move(initiative, Status.COLLECTING, now=timezone.now())
    initiative.refresh_from_db()
    assert initiative.status == Status.DRAFT


def test_a_move_out_of_a_final_status_is_refused(freeze):
    freeze("2026-03-02 10:00")
    initiative = InitiativeFactory()
    initiative_move(initiative, Status.WITHDRAWN, now=timezone.now())
    with pytest.raises(InvalidTransition):
        initiative_move(initiative, Status.SUBMITTED, now=timezone.now())


def test_the_system_close_acts_once_and_only_past_the_deadline(freeze):
    freeze("2026-03-02 10:00")
    initiative = InitiativeFactory(collecting=True)
    now = timezone.now()
    assert not initiative_move_where(
        initiative.pk, Status.CLOSED, when=collection_closed_q(now), now=now
    )
    later = initiative.closes_at + timedelta(seconds=1)
    assert initiative_move_where(
        initiative.pk, Status.CLOSED, when=collection_closed_q(later), now=later
    )
    assert not initiative_move_where(
        initiative.pk, Status.CLOSED, when=collection_closed_q(later), now=later
    )
    assert Initiative.objects.get(pk=initiative.pk).closed_at == later


def test_the_system_close_never_moves_a_status_the_table_does_not_allow(freeze):
    freeze("2026-03-02 10:00")
    draft = InitiativeFactory()
    now = timezone.now()
    assert not initiative_move_where(draft.pk, Status.CLOSED, when=Q(), now=now)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
