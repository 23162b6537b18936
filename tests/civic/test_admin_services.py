"""The civic admin calls services: register entries (identity hash recomputed, audited), strike-offs
and their reversal, account fields and roles (checked, audited). Adding still works."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from civic.identity import identity_hash
from civic.models import AuditEntry, RegisterEntry, RegisterStrikeOff, User
from civic.roles import Role, roles_sync
from tests.admin_forms import form_data
from tests.factories import DistrictFactory, RegisterEntryFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator() -> User:
    return StaffFactory(role=Role.ADMINISTRATOR)


@pytest.fixture
def staff(administrator: User) -> Client:
    client = Client()
    client.force_login(administrator)
    return client


def _change(client: Client, url: str, **changes: Any) -> Any:
    page = client.get(url)
    assert page.status_code == 200
    data = form_data(page)
    data.update(changes)
    return client.post(url, data)


def test_an_admin_edit_of_an_entry_recomputes_its_identity_hash_and_is_audited(
    staff: Client,
) -> None:
    entry = RegisterEntryFactory(last_name="Martin", first_names="Léa")
    old_hash = entry.identity_hash
    response = _change(
        staff, f"/admin/civic/registerentry/{entry.pk}/change/", last_name="Martin-Durand"
    )
    assert response.status_code == 302, response.content
    entry.refresh_from_db()
    assert entry.last_name == "Martin-Durand"
    assert entry.identity_hash == identity_hash(
        last_name="Martin-Durand", first_names="Léa", birth_date=entry.birth_date
    )
    assert entry.identity_hash != old_hash
    audit = AuditEntry.objects.get(verb="register.entry_change")
    assert audit.target_id == str(entry.pk)
    assert audit.after == {"fields": ["last_name"], "identity_hash_changed": True}
    assert "Martin" not in str(audit.after)  # field names, never the values


def test_an_admin_can_still_add_an_entry_through_the_service(staff: Client) -> None:
    district = DistrictFactory()
    page = staff.get("/admin/civic/registerentry/add/")
    data = form_data(page)
    data.update(
        ref="NEW-1",
        kind="elector",
        last_name="Roux",
        first_names="Eva",
        birth_date="1990-04-02",
        address="5 rue E",
        postcode="86000",
        district=str(district.pk),
        roll_number="R777",
    )
    response = staff.post("/admin/civic/registerentry/add/", data)
    assert response.status_code == 302, response.content
    entry = RegisterEntry.objects.get(ref="NEW-1")
    assert entry.active and entry.identity_hash == identity_hash(
        last_name="Roux", first_names="Eva", birth_date=date(1990, 4, 2)
    )
    assert AuditEntry.objects.filter(verb="register.entry_create", target_id=str(entry.pk)).exists()


def test_an_admin_edit_breaking_the_roll_rules_is_refused_with_a_message(staff: Client) -> None:
    entry = RegisterEntryFactory()
    url = f"/admin/civic/registerentry/{entry.pk}/change/"
    response = _change(staff, url, roll_number="")
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.roll_number  # unchanged
    assert not AuditEntry.objects.filter(verb="register.entry_change").exists()
    assert "Un électeur doit avoir" in staff.get(url).content.decode()


def test_the_admin_strikes_off_and_reverses_through_the_service(staff: Client) -> None:
    entry = RegisterEntryFactory()
    response = staff.post(
        "/admin/civic/registerentry/",
        {"action": "strike_off_left", "_selected_action": [str(entry.pk)]},
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert not entry.active and entry.struck_off_at is not None
    record = RegisterStrikeOff.objects.get(entry=entry)
    assert AuditEntry.objects.filter(verb="register.strike_off").count() == 1
    staff.post(
        "/admin/civic/registerstrikeoff/",
        {"action": "reverse", "_selected_action": [str(record.pk)]},
    )
    entry.refresh_from_db()
    assert entry.active
    assert AuditEntry.objects.filter(verb="register.strike_off_reverse").count() == 1


def test_an_entry_cannot_be_deleted_in_the_admin(staff: Client) -> None:
    entry = RegisterEntryFactory()
    assert (
        staff.post(f"/admin/civic/registerentry/{entry.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert RegisterEntry.objects.filter(pk=entry.pk).exists()


def test_a_role_change_in_the_admin_is_audited(staff: Client) -> None:
    roles_sync()
    member = UserFactory()
    moderator = Group.objects.get(name=Role.MODERATOR)
    response = _change(
        staff,
        f"/admin/civic/user/{member.pk}/change/",
        is_staff="on",
        groups=[str(moderator.pk)],
    )
    assert response.status_code == 302, response.content
    member.refresh_from_db()
    assert member.is_staff and list(member.groups.values_list("name", flat=True)) == ["moderator"]
    audit = AuditEntry.objects.get(verb="user.roles_set")
    assert audit.before["groups"] == [] and audit.after["groups"] == ["moderator"]
    assert audit.after["is_staff"] is True


def test_an_administrator_who_is_not_superuser_cannot_grant_superuser(staff: Client) -> None:
    member = UserFactory()
    response = _change(
        staff, f"/admin/civic/user/{member.pk}/change/", is_staff="on", is_superuser="on"
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert not member.is_superuser and not member.is_staff  # nothing of the form was applied
    assert not AuditEntry.objects.filter(verb="user.roles_set").exists()


def test_an_admin_can_still_add_an_account_through_the_service(staff: Client) -> None:
    response = staff.post(
        "/admin/civic/user/add/",
        {
            "email": "new.clerk@example.org",
            "password1": "x9!Lq2#vTz7p",
            "password2": "x9!Lq2#vTz7p",
        },
    )
    assert response.status_code == 302, response.content
    user = User.objects.get(email="new.clerk@example.org")
    assert not user.is_staff and user.check_password("x9!Lq2#vTz7p")
    assert AuditEntry.objects.filter(verb="user.create", target_id=str(user.pk)).exists()
