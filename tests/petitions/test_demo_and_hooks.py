"""The hooks the core calls: demo seeding (idempotent), home section, personal data export."""

from __future__ import annotations

import io

import pytest

from civic.demo import seed_demo as seed_city
from petitions import selectors
from petitions.demo import seed_demo
from petitions.models import Initiative, Obligation, Status
from tests.factories import ResidentFactory
from tests.petitions.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_every_stage_once():
    seed_city(entries=300, residents=120)
    out = io.StringIO()
    seed_demo(stdout=out)
    seed_demo(stdout=out)
    assert Initiative.objects.count() == 4
    assert set(Initiative.objects.values_list("status", flat=True)) == {
        Status.COLLECTING,
        Status.SUBMITTED,
        Status.DRAFT,
    }
    # 60 signatures cross the charter's 50 rung; 25 electors are over 1/10 of this small register.
    assert sorted(Obligation.objects.values_list("kind", flat=True)) == [
        "council_agenda",
        "meeting",
    ]


def test_the_demo_skips_without_a_city():
    out = io.StringIO()
    seed_demo(stdout=out)
    assert "skipped" in out.getvalue() and Initiative.objects.count() == 0


def test_personal_data_export_lists_the_residents_own_signatures_only(freeze):
    from petitions import services

    freeze("2026-03-02 10:00")
    resident = ResidentFactory()
    mine = InitiativeFactory(collecting=True)
    other = InitiativeFactory(collecting=True)
    services.signature_sign(initiative_id=mine.pk, user=resident)
    services.signature_sign(initiative_id=other.pk, user=ResidentFactory())
    data = selectors.personal_data_export(user=resident)
    assert [s["initiative_id"] for s in data["signatures"]] == [mine.pk]
    assert data["initiatives_started"] == []
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    json.dumps(data, cls=DjangoJSONEncoder)


def test_the_home_section_is_empty_without_open_initiatives(rf):  # type: ignore[no-untyped-def]
    InitiativeFactory()
    section = selectors.home_section(rf.get("/"))
    assert section is not None and section["items"] == []
