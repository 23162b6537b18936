"""Criteria and quotas in the admin go through the composition services: adding a criterion with
its quotas works, edits are audited, and what the services freeze stays frozen."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from assembly.models import Feature, MandateStatus, Quota
from assembly.services.composition import feature_add
from civic.models import AuditEntry, User
from tests.admin_forms import form_data
from tests.assembly.factories import MandateFactory, VolunteerFactory

pytestmark = pytest.mark.django_db


def _gender(mandate: Any, clerk: User) -> Feature:
    return feature_add(
        mandate_id=mandate.pk,
        actor=clerk,
        key="gender",
        label="Genre",
        kind="gender",
        quotas=[("f", "Femmes", 1, 3), ("m", "Hommes", 1, 3)],
    )


def _post_change(staff: Client, feature: Feature, **changes: Any) -> Any:
    url = f"/admin/assembly/feature/{feature.pk}/change/"
    page = staff.get(url)
    assert page.status_code == 200
    data = form_data(page)
    data.update(changes)
    return staff.post(url, data)


def test_a_criterion_with_its_quotas_can_be_added_in_the_admin(staff: Client) -> None:
    mandate = MandateFactory()
    page = staff.get("/admin/assembly/feature/add/")
    assert page.status_code == 200
    data = form_data(page)
    data.update(
        {
            "mandate": str(mandate.pk),
            "key": "age",
            "label": "Âge",
            "kind": "age_band",
            "quotas-TOTAL_FORMS": "2",
            "quotas-0-value": "16-29",
            "quotas-0-label": "16 à 29 ans",
            "quotas-0-min": "1",
            "quotas-0-max": "2",
            "quotas-1-value": "30+",
            "quotas-1-label": "30 ans et plus",
            "quotas-1-min": "1",
            "quotas-1-max": "3",
        }
    )
    response = staff.post("/admin/assembly/feature/add/", data)
    assert response.status_code == 302, response.content
    feature = Feature.objects.get(mandate=mandate, key="age")
    assert sorted(feature.quotas.values_list("value", "min", "max")) == [
        ("16-29", 1, 2),
        ("30+", 1, 3),
    ]
    assert AuditEntry.objects.filter(verb="assembly.feature_add").count() == 1
    assert AuditEntry.objects.filter(verb="assembly.quota_add").count() == 2


def test_a_quota_change_in_the_admin_goes_through_the_service_and_is_audited(
    staff: Client, clerk: User
) -> None:
    feature = _gender(MandateFactory(), clerk)
    response = _post_change(staff, feature, **{"quotas-0-max": "2"})
    assert response.status_code == 302, response.content
    assert Quota.objects.get(feature=feature, value="f").max == 2
    audit = AuditEntry.objects.get(verb="assembly.quota_set")
    assert audit.before == {"min": 1, "max": 3} and audit.after == {"min": 1, "max": 2}


def test_quotas_are_frozen_in_the_admin_once_the_draw_is_committed(
    staff: Client, clerk: User
) -> None:
    mandate = MandateFactory()
    feature = _gender(mandate, clerk)
    mandate.status = MandateStatus.COMMITTED
    mandate.save(update_fields=["status"])
    response = _post_change(staff, feature, **{"quotas-0-max": "2"})
    assert response.status_code == 302
    assert Quota.objects.get(feature=feature, value="f").max == 3
    assert not AuditEntry.objects.filter(verb="assembly.quota_set").exists()
    assert "figés" in staff.get(f"/admin/assembly/feature/{feature.pk}/change/").content.decode()


def test_no_quota_is_added_in_the_admin_once_volunteers_signed_up(
    staff: Client, clerk: User
) -> None:
    mandate = MandateFactory(status=MandateStatus.RECRUITING)
    feature = _gender(mandate, clerk)
    VolunteerFactory(mandate=mandate)
    response = _post_change(
        staff,
        feature,
        **{
            "quotas-TOTAL_FORMS": "3",
            "quotas-2-value": "x",
            "quotas-2-label": "Autre",
            "quotas-2-min": "0",
            "quotas-2-max": "1",
        },
    )
    assert response.status_code == 302
    assert feature.quotas.count() == 2
    assert not AuditEntry.objects.filter(verb="assembly.quota_add").exists()


def test_a_criterion_is_renamed_in_the_admin_with_an_audit_entry(
    staff: Client, clerk: User
) -> None:
    feature = _gender(MandateFactory(), clerk)
    response = _post_change(staff, feature, label="Genre déclaré")
    assert response.status_code == 302, response.content
    feature.refresh_from_db()
    assert feature.label == "Genre déclaré"
    assert AuditEntry.objects.get(verb="assembly.feature_change").after["label"] == "Genre déclaré"


def test_the_mandate_page_shows_its_criteria_read_only(staff: Client, clerk: User) -> None:
    mandate = MandateFactory()
    _gender(mandate, clerk)
    page = staff.get(f"/admin/assembly/mandate/{mandate.pk}/change/")
    assert page.status_code == 200
    assert "features-0-key" not in page.content.decode()
