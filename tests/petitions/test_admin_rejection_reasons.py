"""Inadmissibility reasons edited in the admin go through their service: audited, never deleted,
and a reason already given to an initiative keeps its wording (it is part of that public record)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from civic.models import AuditEntry
from petitions.models import RejectionReason, Status
from tests.admin_forms import form_data
from tests.factories import StaffFactory
from tests.petitions.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff() -> Client:
    client = Client()
    client.force_login(StaffFactory(role="moderator"))
    return client


def _post(staff: Client, reason: RejectionReason, **changes: Any) -> Any:
    url = f"/admin/petitions/rejectionreason/{reason.pk}/change/"
    data = form_data(staff.get(url))
    data.update(changes)
    return staff.post(url, data)


def test_a_reason_reworded_in_the_admin_is_audited(staff: Client) -> None:
    reason = RejectionReason.objects.create(code="motif-essai", label="Hors compétence")
    response = _post(staff, reason, label="Hors des compétences de la ville")
    assert response.status_code == 302, response.content
    entry = AuditEntry.objects.get(verb="petitions.rejection_reason_change")
    assert entry.before == {"label": "Hors compétence"}
    assert entry.after == {"label": "Hors des compétences de la ville"}


def test_a_reason_already_given_keeps_its_wording_but_can_be_retired(staff: Client) -> None:
    reason = RejectionReason.objects.create(code="motif-essai", label="Hors compétence")
    InitiativeFactory(
        status=Status.REJECTED,
        rejection_reason=reason,
        rejected_at=timezone.now(),
        submitted_at=timezone.now(),
    )
    _post(staff, reason, label="Autre chose")
    reason.refresh_from_db()
    assert reason.label == "Hors compétence"
    data = form_data(staff.get(f"/admin/petitions/rejectionreason/{reason.pk}/change/"))
    data.pop("active", None)
    staff.post(f"/admin/petitions/rejectionreason/{reason.pk}/change/", data)
    reason.refresh_from_db()
    assert reason.active is False
    assert AuditEntry.objects.get(verb="petitions.rejection_reason_change").after == {
        "active": False
    }


def test_a_reason_added_in_the_admin_is_audited_and_none_is_deleted(staff: Client) -> None:
    data = form_data(staff.get("/admin/petitions/rejectionreason/add/"))
    data.update(code="motif-nouveau", label="Doublon d'une initiative en cours", active="on")
    assert staff.post("/admin/petitions/rejectionreason/add/", data).status_code == 302
    reason = RejectionReason.objects.get(code="motif-nouveau")
    assert AuditEntry.objects.filter(verb="petitions.rejection_reason_create").count() == 1
    url = f"/admin/petitions/rejectionreason/{reason.pk}/delete/"
    assert staff.post(url, {"post": "yes"}).status_code == 403
