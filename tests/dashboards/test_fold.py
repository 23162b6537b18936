"""The fold: exact aggregates from new signatures, withdrawals decrement, nothing counted twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from dashboards.models import (
    TOTAL_TRACK,
    FoldState,
    SignatureDistrictCount,
    SignatureHourly,
    SignatureLedger,
)
from dashboards.services import aggregates_fold
from petitions import services
from petitions.models import Signature
from tests.dashboards.factories import district, sign, tick
from tests.petitions.factories import CHARTER, LEGAL, InitiativeFactory

pytestmark = pytest.mark.django_db


def _hourly(initiative, track=TOTAL_TRACK):  # type: ignore[no-untyped-def]
    return {
        timezone.localtime(h.hour).hour: h.count
        for h in SignatureHourly.objects.filter(initiative_id=initiative.pk, track=track)
        if h.count
    }


def _districts(initiative):  # type: ignore[no-untyped-def]
    return {
        d.district_id: d.count
        for d in SignatureDistrictCount.objects.filter(initiative_id=initiative.pk)
        if d.count
    }


def test_the_fold_counts_each_new_signature_in_its_hour_and_district(now):
    initiative = InitiativeFactory(collecting=True)
    sign(initiative, 3, in_district="centre")
    now.move_to("2026-03-02 11:20")
    sign(initiative, 2, in_district="nord")
    tick()
    assert _hourly(initiative) == {10: 3, 11: 2}
    assert _districts(initiative) == {district("centre").pk: 3, district("nord").pk: 2}


def test_a_second_fold_counts_nothing_twice(now):
    initiative = InitiativeFactory(collecting=True)
    sign(initiative, 4)
    tick()
    tick()
    aggregates_fold()
    assert _hourly(initiative) == {10: 4}
    assert SignatureLedger.objects.count() == 4


def test_each_track_is_counted_on_the_signatures_that_count_on_it(now):
    initiative = InitiativeFactory(collecting=True, instruments=[CHARTER, LEGAL])
    sign(initiative, 3)
    tick()
    per_track = {
        row["track"]: row["n"]
        for row in SignatureHourly.objects.filter(initiative_id=initiative.pk)
        .values("track")
        .annotate(n=Sum("count"))
    }
    masks = list(
        Signature.objects.filter(initiative=initiative).values_list("track_mask", flat=True)
    )
    assert per_track[TOTAL_TRACK] == 3
    assert per_track.get(0, 0) == sum(1 for m in masks if m & 1)
    assert per_track.get(1, 0) == sum(1 for m in masks if m & 2)


def test_a_withdrawal_decrements_the_hour_and_district_it_was_counted_in(now):
    initiative = InitiativeFactory(collecting=True)
    users = sign(initiative, 3, in_district="centre")
    sign(initiative, 1, in_district="nord")
    tick()
    now.move_to("2026-03-02 15:00")
    services.signature_withdraw(initiative_id=initiative.pk, user=users[0])
    tick()
    assert _hourly(initiative) == {10: 3}
    assert _districts(initiative) == {district("centre").pk: 2, district("nord").pk: 1}
    assert SignatureLedger.objects.filter(initiative_id=initiative.pk).count() == 3


def test_a_withdrawal_before_the_first_fold_is_never_counted(now):
    initiative = InitiativeFactory(collecting=True)
    users = sign(initiative, 2)
    services.signature_withdraw(initiative_id=initiative.pk, user=users[0])
    tick()
    assert _hourly(initiative) == {10: 1}


def test_a_signature_committed_below_the_watermark_is_caught_by_the_reconciliation(now):
    initiative = InitiativeFactory(collecting=True)
    sign(initiative, 2)
    tick()
    now.move_to("2026-03-02 11:00")
    sign(initiative, 1)
    late = Signature.objects.filter(initiative=initiative).order_by("-id").first()
    # Simulate a commit the id window had already passed: the watermark is beyond its id.
    FoldState.objects.filter(id=1).update(low_watermark=late.pk)
    tick()
    assert _hourly(initiative) == {10: 2, 11: 1}


def test_the_watermark_stays_behind_signatures_younger_than_the_lag(now):
    initiative = InitiativeFactory(collecting=True)
    sign(initiative, 2)
    aggregates_fold()
    assert FoldState.objects.get().low_watermark == 0
    now.shift(timedelta(minutes=10))
    aggregates_fold()
    assert FoldState.objects.get().low_watermark == Signature.objects.order_by("-id").first().pk


def _fold_queries(initiative, n, now):  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sign(initiative, n)
    with CaptureQueriesContext(connection) as queries:
        aggregates_fold()
    now.shift(timedelta(minutes=10))
    return len(queries)


def test_the_fold_costs_the_same_queries_for_one_or_many_new_signatures(now):
    initiative = InitiativeFactory(collecting=True)
    sign(initiative, 30)
    now.shift(timedelta(minutes=10))
    tick()
    one = _fold_queries(initiative, 1, now)
    many = _fold_queries(initiative, 25, now)
    assert one == many
    assert _hourly(initiative) == {10: 56}


def test_the_demo_hook_builds_the_figures_and_is_idempotent(now):
    import io

    from dashboards.demo import seed_demo
    from dashboards.models import StatsDocument

    initiative = InitiativeFactory(collecting=True)
    sign(initiative, 2)
    services.counts_tick()
    seed_demo(stdout=io.StringIO())
    etags = dict(StatsDocument.objects.values_list("kind", "etag"))
    seed_demo(stdout=io.StringIO())
    assert dict(StatsDocument.objects.values_list("kind", "etag")) == etags
    assert _hourly(initiative) == {10: 2}


def test_the_hooks_hold_nothing_personal(resident, rf):
    from dashboards.selectors import home_section, personal_data_export

    assert personal_data_export(user=resident) == {}
    assert home_section(rf.get("/")) is None
