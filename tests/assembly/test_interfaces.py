"""The functions other apps call."""

from __future__ import annotations

import pytest

from assembly import interfaces
from assembly.models import AgendaItem, Recommendation, RecommendationStatus, SourceKind
from tests.assembly.factories import MandateFactory, SessionFactory

pytestmark = pytest.mark.django_db


def test_a_referendum_result_is_placed_on_the_agenda_once() -> None:
    mandate = MandateFactory(seated=True)
    session = SessionFactory(mandate=mandate)
    item_id = interfaces.referendum_result_to_agenda(
        referendum_id=3, title="Résultat : tramway", url="/referendums/3/"
    )
    assert item_id is not None
    assert (
        interfaces.referendum_result_to_agenda(
            referendum_id=3, title="Résultat : tramway", url="/referendums/3/"
        )
        is None
    )
    item = AgendaItem.objects.get()
    assert (item.session, item.source_kind, item.source_id) == (
        session,
        SourceKind.REFERENDUM_RESULT,
        3,
    )


def test_a_referendum_result_waits_without_a_seated_assembly_or_a_session_with_room() -> None:
    assert interfaces.referendum_result_to_agenda(referendum_id=3, title="x", url="/") is None
    mandate = MandateFactory(seated=True)
    SessionFactory(mandate=mandate, capacity_minutes=10)
    assert interfaces.referendum_result_to_agenda(referendum_id=3, title="x", url="/") is None
    assert not AgendaItem.objects.exists()


def test_open_recommendations_are_listed_and_conversion_is_recorded(clerk) -> None:
    from django.utils import timezone

    mandate = MandateFactory(seated=True)
    rec = Recommendation.objects.create(
        mandate=mandate, title="T", text="X", adopted_at=timezone.now()
    )
    assert [r.recommendation_id for r in interfaces.recommendations_open()] == [rec.pk]
    interfaces.recommendation_mark_converted(
        recommendation_id=rec.pk, actor=clerk, target_kind="referendums.campaign", target_id=5
    )
    rec.refresh_from_db()
    assert rec.status == RecommendationStatus.REFERENDUM
    assert interfaces.recommendations_open() == []
