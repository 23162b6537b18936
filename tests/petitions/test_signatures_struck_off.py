"""A struck-off elector signs nothing new; their past signatures follow CIVIC-RULES "Strike-offs":
kept after leaving the roll, removed with the public reason "registration annulled" after an
annulment."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from civic.errors import NotEligible
from civic.events import events_drain
from civic.models import AuditEntry, StrikeOffReason
from civic.services.strike_offs import register_strike_off
from petitions import services
from petitions.models import AnnulledSignature, AnnulmentReason, Signature
from tests.factories import RegisterEntryFactory, ResidentFactory
from tests.petitions.factories import CHARTER, LEGAL, InitiativeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def now(freeze):  # type: ignore[no-untyped-def]
    return freeze("2026-03-02 10:00")


def _counts(initiative):  # type: ignore[no-untyped-def]
    services.counts_fold()
    return {c.track: c.count for c in initiative.counts.all()}


def _strike(user, reason=StrikeOffReason.LEFT_ROLL):  # type: ignore[no-untyped-def]
    return register_strike_off(entry_id=user.register_entry_id, actor=None, reason=reason)


def test_a_struck_off_elector_cannot_sign(now):
    initiative = InitiativeFactory(collecting=True)
    resident = ResidentFactory()
    _strike(resident)
    resident.refresh_from_db()
    with pytest.raises(NotEligible) as refused:
        services.signature_sign(initiative_id=initiative.pk, user=resident)
    assert refused.value.code == "not_eligible_inactive_entry"
    assert not Signature.objects.exists()


def test_the_signing_statement_refuses_a_strike_off_its_caller_has_not_seen(now):
    """The entry comes with the user from the authentication (and its caches): a strike-off
    committed after it was read must still refuse, in the signing statement itself."""
    initiative = InitiativeFactory(collecting=True)
    resident = ResidentFactory()
    assert resident.register_entry.active  # loaded now, struck off below
    _strike(resident)
    with pytest.raises(NotEligible) as refused:
        services.signature_sign(initiative_id=initiative.pk, user=resident)
    assert refused.value.code == "not_eligible_inactive_entry"
    assert not Signature.objects.exists()
    assert _counts(initiative)[-1] == 0


def test_a_struck_off_elector_is_refused_over_http_with_a_stable_code(now):
    initiative = InitiativeFactory(collecting=True)
    resident = ResidentFactory()
    client = APIClient()
    client.force_authenticate(resident)
    _strike(resident)
    response = client.post(f"/api/v1/initiatives/{initiative.pk}/signatures/")
    assert response.status_code == 403
    assert response.json()["code"] == "not_eligible_inactive_entry"
    assert not Signature.objects.exists()


def test_a_struck_off_elector_cannot_be_entered_on_paper(now, moderator):
    initiative = InitiativeFactory(collecting=True)
    entry = RegisterEntryFactory()
    register_strike_off(entry_id=entry.pk, actor=None, reason=StrikeOffReason.LEFT_ROLL)
    outcome = services.paper_signature_enter(
        initiative_id=initiative.pk, actor=moderator, register_entry_id=entry.pk
    )
    assert not outcome.accepted
    assert not Signature.objects.exists()


def test_signatures_made_while_on_the_roll_stay_after_leaving_it(now):
    initiative = InitiativeFactory(collecting=True, instruments=[CHARTER, LEGAL])
    resident = ResidentFactory()
    services.signature_sign(initiative_id=initiative.pk, user=resident)
    _strike(resident, StrikeOffReason.LEFT_ROLL)
    events_drain()
    assert Signature.objects.count() == 1
    assert _counts(initiative) == {-1: 1, 0: 1, 1: 1}
    assert not AnnulledSignature.objects.exists()


def test_an_annulled_registration_removes_its_signatures_with_a_public_reason(now):
    initiative = InitiativeFactory(collecting=True, instruments=[CHARTER, LEGAL])
    other = InitiativeFactory(collecting=True)
    resident, neighbour = ResidentFactory(), ResidentFactory()
    for pk in (initiative.pk, other.pk):
        services.signature_sign(initiative_id=pk, user=resident)
    services.signature_sign(initiative_id=initiative.pk, user=neighbour)
    assert _counts(initiative)[-1] == 2
    _strike(resident, StrikeOffReason.ANNULLED)
    events_drain()
    assert list(Signature.objects.values_list("register_entry_id", flat=True)) == [
        neighbour.register_entry_id
    ]
    assert _counts(initiative) == {-1: 1, 0: 1, 1: 1}
    assert _counts(other)[-1] == 0
    removed = AnnulledSignature.objects.get(initiative=initiative)
    assert removed.reason == AnnulmentReason.REGISTRATION_ANNULLED
    assert removed.track_mask == 0b11 and removed.annulled_at is not None
    audit = AuditEntry.objects.get(verb="petitions.signatures_annul")
    assert audit.after == {"reason": "registration_annulled", "removed": 2}
    # A repeated delivery finds nothing left to remove.
    events_drain()
    assert AnnulledSignature.objects.count() == 2
