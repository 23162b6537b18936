"""E6 `petitions.counts_folded`: the counted initiatives' documents follow the published counts."""

from __future__ import annotations

import json

import pytest
from django.db import transaction
from django.utils import timezone

from civic.events import events_drain, publish
from civic.models import DomainEvent
from dashboards.models import DocumentKind, StatsDocument
from petitions import services
from tests.dashboards.factories import sign, tick
from tests.petitions.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


def _total(initiative) -> int:  # type: ignore[no-untyped-def]
    body = StatsDocument.objects.get(kind=DocumentKind.INITIATIVE, object_id=initiative.pk).body
    return int(body["total"])


def _counts_folded(*ids: int) -> None:
    with transaction.atomic():
        publish(
            "petitions.counts_folded",
            initiative_ids=list(ids),
            folded_at=timezone.now().isoformat(),
        )
    events_drain()


def test_counts_folded_brings_the_counted_initiatives_documents_up_to_date(now):
    initiative = InitiativeFactory(collecting=True)
    tick()
    sign(initiative, 3)
    services.counts_tick()  # the published count moves; the dashboards' tick has not run
    assert _total(initiative) == 0
    _counts_folded(initiative.pk)
    assert _total(initiative) == 3


def test_counts_folded_leaves_the_other_initiatives_documents_alone(now):
    counted, other = InitiativeFactory(collecting=True), InitiativeFactory(collecting=True)
    tick()
    sign(counted, 1)
    sign(other, 2)
    services.counts_tick()
    # The tick announced both initiatives itself: keep only the event this test sends.
    DomainEvent.objects.filter(name="petitions.counts_folded").delete()
    _counts_folded(counted.pk)
    assert (_total(counted), _total(other)) == (1, 0)


def test_a_second_delivery_of_counts_folded_changes_nothing(now):
    initiative = InitiativeFactory(collecting=True)
    tick()
    sign(initiative, 2)
    services.counts_tick()
    _counts_folded(initiative.pk)
    before = list(StatsDocument.objects.order_by("kind", "object_id").values_list("etag", "body"))
    _counts_folded(initiative.pk)
    after = list(StatsDocument.objects.order_by("kind", "object_id").values_list("etag", "body"))
    assert json.dumps(after, default=str) == json.dumps(before, default=str)


def test_counts_folded_for_an_unpublished_initiative_builds_no_document(now):
    draft = InitiativeFactory()
    _counts_folded(draft.pk)
    assert not StatsDocument.objects.filter(object_id=draft.pk).exists()
