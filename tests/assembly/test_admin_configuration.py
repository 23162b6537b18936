"""Mandates, sessions and agenda items edited in the admin go through the configuration services:
the edit is audited with what it was and what it became, and what the rules freeze stays frozen
whatever the form posts. Recommendations are read-only there."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from assembly.models import AgendaItem, Mandate, MandateStatus, Session, SessionStatus, SourceKind
from assembly.services.sessions import agenda_item_add
from civic.models import AuditEntry, User
from tests.admin_forms import form_data
from tests.assembly.factories import MandateFactory, SessionFactory

pytestmark = pytest.mark.django_db


def _session(**fields: Any) -> Session:
    """A planned session starting on a whole minute, as the admin's form shows it."""
    starts = (timezone.now() + timedelta(days=10)).replace(second=0, microsecond=0)
    return SessionFactory(starts_at=starts, **fields)


def _post(staff: Client, url: str, **changes: Any) -> Any:
    page = staff.get(url)
    assert page.status_code == 200
    data = form_data(page)
    data.update(changes)
    return staff.post(url, data)


def test_a_mandate_added_in_the_admin_is_created_by_the_service_and_audited(staff: Client) -> None:
    page = staff.get("/admin/assembly/mandate/add/")
    data = form_data(page)
    data.update(
        title="Assemblée du climat",
        starts_on="2027-01-01",
        ends_on="2028-01-01",
        size="30",
        reserve_size="10",
    )
    response = staff.post("/admin/assembly/mandate/add/", data)
    assert response.status_code == 302, response.content
    mandate = Mandate.objects.get(title="Assemblée du climat")
    assert AuditEntry.objects.get(verb="assembly.mandate_create").target_id == str(mandate.pk)


def test_a_mandate_change_is_audited_with_before_and_after(staff: Client) -> None:
    mandate = MandateFactory(title="Ancien intitulé")
    url = f"/admin/assembly/mandate/{mandate.pk}/change/"
    response = _post(staff, url, title="Nouvel intitulé", size="5")
    assert response.status_code == 302, response.content
    entry = AuditEntry.objects.get(verb="assembly.mandate_change")
    assert entry.before == {"title": "Ancien intitulé", "size": 4}
    assert entry.after == {"title": "Nouvel intitulé", "size": 5}


def test_seats_are_frozen_in_the_admin_once_the_call_for_volunteers_is_open(staff: Client) -> None:
    mandate = MandateFactory(recruiting=True)
    url = f"/admin/assembly/mandate/{mandate.pk}/change/"
    response = _post(staff, url, size="9")
    assert response.status_code == 302
    mandate.refresh_from_db()
    assert mandate.size == 4
    assert "figés" in staff.get(url).content.decode()
    assert not AuditEntry.objects.filter(verb="assembly.mandate_change").exists()


def test_a_recruiting_mandate_may_still_be_renamed(staff: Client) -> None:
    mandate = MandateFactory(recruiting=True)
    response = _post(staff, f"/admin/assembly/mandate/{mandate.pk}/change/", title="Renommé")
    assert response.status_code == 302
    mandate.refresh_from_db()
    assert mandate.title == "Renommé"


def test_a_closed_mandate_does_not_change(staff: Client) -> None:
    mandate = MandateFactory(status=MandateStatus.CLOSED, title="Fini")
    _post(staff, f"/admin/assembly/mandate/{mandate.pk}/change/", title="Réécrit")
    mandate.refresh_from_db()
    assert mandate.title == "Fini"


def test_a_mandate_cannot_end_before_it_starts(staff: Client) -> None:
    mandate = MandateFactory()
    _post(staff, f"/admin/assembly/mandate/{mandate.pk}/change/", ends_on="2025-06-01")
    mandate.refresh_from_db()
    assert str(mandate.ends_on) == "2027-01-01"


def test_the_admin_deletes_no_mandate_and_no_session(staff: Client) -> None:
    session = _session()
    assert staff.post(f"/admin/assembly/mandate/{session.mandate_id}/delete/").status_code == 403
    assert staff.post(f"/admin/assembly/session/{session.pk}/delete/").status_code == 403
    assert Session.objects.filter(pk=session.pk).exists()


def test_a_session_moved_in_the_admin_is_audited(staff: Client) -> None:
    session = _session(place="Hôtel de ville")
    response = _post(
        staff, f"/admin/assembly/session/{session.pk}/change/", place="Salle Jean Moulin"
    )
    assert response.status_code == 302, response.content
    entry = AuditEntry.objects.get(verb="assembly.session_change")
    assert entry.before == {"place": "Hôtel de ville"}
    assert entry.after == {"place": "Salle Jean Moulin"}


def test_an_open_session_does_not_change_in_the_admin(staff: Client) -> None:
    session = _session(place="Hôtel de ville")
    url = f"/admin/assembly/session/{session.pk}/change/"
    page = staff.get(url)
    Session.objects.filter(pk=session.pk).update(status=SessionStatus.OPEN)
    data = form_data(page)
    data["place"] = "Ailleurs"
    staff.post(url, data)
    session.refresh_from_db()
    assert session.place == "Hôtel de ville"
    assert not AuditEntry.objects.filter(verb="assembly.session_change").exists()


def test_a_session_cannot_shrink_below_its_agenda(staff: Client, clerk: User) -> None:
    session = _session(capacity_minutes=120)
    agenda_item_add(session_id=session.pk, actor=clerk, title="Budget", duration_minutes=90)
    _post(staff, f"/admin/assembly/session/{session.pk}/change/", capacity_minutes="60")
    session.refresh_from_db()
    assert session.capacity_minutes == 120


def test_an_agenda_item_resized_in_the_admin_respects_the_capacity(
    staff: Client, clerk: User
) -> None:
    session = _session(capacity_minutes=120)
    item = agenda_item_add(session_id=session.pk, actor=clerk, title="Budget", duration_minutes=30)
    url = f"/admin/assembly/session/{session.pk}/change/"
    _post(staff, url, **{"agenda_items-0-duration_minutes": "200"})
    item.refresh_from_db()
    assert item.duration_minutes == 30
    response = _post(staff, url, **{"agenda_items-0-duration_minutes": "45"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.duration_minutes == 45
    assert AuditEntry.objects.get(verb="assembly.agenda_change").after == {"duration_minutes": 45}


def test_an_item_the_law_placed_cannot_be_removed_in_the_admin(staff: Client, clerk: User) -> None:
    session = _session()
    bound = agenda_item_add(
        session_id=session.pk,
        actor=None,
        title="Initiative : pistes cyclables",
        duration_minutes=30,
        source_kind=SourceKind.INITIATIVE,
        source_id=7,
    )
    url = f"/admin/assembly/session/{session.pk}/change/"
    _post(staff, url, **{"agenda_items-0-DELETE": "on"})
    assert AgendaItem.objects.filter(pk=bound.pk).exists()
    assert not AuditEntry.objects.filter(verb="assembly.agenda_delete").exists()


def test_a_staff_item_removed_in_the_admin_is_audited(staff: Client, clerk: User) -> None:
    session = _session()
    item = agenda_item_add(session_id=session.pk, actor=clerk, title="Divers", duration_minutes=10)
    response = _post(
        staff, f"/admin/assembly/session/{session.pk}/change/", **{"agenda_items-0-DELETE": "on"}
    )
    assert response.status_code == 302
    assert not AgendaItem.objects.filter(pk=item.pk).exists()
    assert AuditEntry.objects.get(verb="assembly.agenda_delete").before["title"] == "Divers"


def test_a_session_added_in_the_admin_is_created_by_the_service(staff: Client) -> None:
    mandate = MandateFactory(seated=True)
    page = staff.get("/admin/assembly/session/add/")
    data = form_data(page)
    starts = (mandate.starts_on + timedelta(days=40)).isoformat()
    data.update(
        mandate=str(mandate.pk),
        title="Séance de rentrée",
        starts_at_0=starts,
        starts_at_1="18:00:00",
        place="Salle du conseil",
        capacity_minutes="150",
    )
    response = staff.post("/admin/assembly/session/add/", data)
    assert response.status_code == 302, response.content
    assert AuditEntry.objects.filter(verb="assembly.session_create").count() == 1


def test_recommendations_are_read_only_in_the_admin(staff: Client, clerk: User) -> None:
    assert staff.get("/admin/assembly/recommendation/add/").status_code == 403
