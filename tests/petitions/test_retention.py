from datetime import timedelta

import pytest

from civic.models import AuditEntry
from petitions.models import InstrumentType, Obligation, ObligationStatus, Signature, Status
from petitions.services.deadlines import initiative_close
from petitions.services.retention import signatures_purge_due
from petitions.services.signatures import signature_sign
from tests.factories import ResidentFactory
from tests.petitions.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_initiative(freeze):
    initiative = InitiativeFactory(collecting=True)
    for resident in ResidentFactory.create_batch(3):
        signature_sign(initiative_id=initiative.pk, user=resident)
    freeze(initiative.closes_at + timedelta(seconds=1))
    assert initiative_close(initiative_id=initiative.pk)
    initiative.refresh_from_db()
    Obligation.objects.filter(initiative=initiative).update(status=ObligationStatus.DONE)
    return initiative


def _longest_retention(initiative) -> int:
    return max(
        InstrumentType.objects.filter(
            pk__in=initiative.tracks.values("instrument_type")
        ).values_list("retention_days", flat=True)
    )


def test_who_signed_is_deleted_once_the_instruments_period_has_passed(closed_initiative, freeze):
    days = _longest_retention(closed_initiative)
    freeze(closed_initiative.closed_at + timedelta(days=days) - timedelta(seconds=1))
    assert signatures_purge_due() == 0
    assert Signature.objects.filter(initiative=closed_initiative).count() == 3
    freeze(closed_initiative.closed_at + timedelta(days=days, seconds=1))
    assert signatures_purge_due() == 1
    assert not Signature.objects.filter(initiative=closed_initiative).exists()
    closed_initiative.refresh_from_db()
    assert closed_initiative.status == Status.CLOSED
    audit = AuditEntry.objects.get(verb="initiative.signatures_purged")
    assert audit.after == {"signatures": 3, "rejections_unlinked": 0, "retention_days": days}
    assert signatures_purge_due() == 0  # a second run finds nothing to do


def test_the_period_is_the_instruments_own(closed_initiative, freeze):
    InstrumentType.objects.update(retention_days=400)
    freeze(closed_initiative.closed_at + timedelta(days=399))
    assert signatures_purge_due() == 0
    freeze(closed_initiative.closed_at + timedelta(days=401))
    assert signatures_purge_due() == 1


def test_nothing_is_purged_while_an_obligation_is_open(closed_initiative, freeze):
    from django.utils import timezone

    from petitions.models import TrackRung

    rung = TrackRung.objects.filter(track__initiative=closed_initiative).first()
    Obligation.objects.create(
        track_rung=rung,
        initiative=closed_initiative,
        kind=rung.obligation_kind,
        text="Rencontre",
        created_at=timezone.now(),
        due_at=timezone.now(),
        status=ObligationStatus.OPEN,
    )
    freeze(closed_initiative.closed_at + timedelta(days=5000))
    assert signatures_purge_due() == 0
    assert Signature.objects.filter(initiative=closed_initiative).count() == 3


def test_a_collecting_initiative_is_never_purged(freeze):
    initiative = InitiativeFactory(collecting=True)
    signature_sign(initiative_id=initiative.pk, user=ResidentFactory())
    freeze(initiative.closes_at - timedelta(seconds=1))
    assert signatures_purge_due() == 0
    assert Signature.objects.filter(initiative=initiative).count() == 1
