"""The members' space: a member sees their sessions and tells the clerk of an absence before a
session opens; the reason stays with the clerk; nobody else reaches the space or acts for them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from assembly.models import AbsenceNotice, Attendance, SessionStatus
from civic.models import AuditEntry
from tests.assembly.factories import MemberFactory, SessionFactory
from tests.factories import ResidentFactory, StaffFactory

pytestmark = pytest.mark.django_db

URL = "/assembly/mon-espace/"


@pytest.fixture
def member_client():  # type: ignore[no-untyped-def]
    member = MemberFactory()
    user = ResidentFactory(register_entry=member.volunteer.register_entry)
    client = Client()
    client.force_login(user)
    return member, client


def test_a_member_sees_the_sessions_ahead_and_behind_with_their_presence(member_client) -> None:
    member, client = member_client
    ahead = SessionFactory(mandate=member.mandate, status=SessionStatus.PUBLISHED, title="Budget")
    planned = SessionFactory(mandate=member.mandate, title="Pas encore annoncée")
    behind = SessionFactory(
        mandate=member.mandate,
        status=SessionStatus.CLOSED,
        starts_at=timezone.now() - timedelta(days=30),
        title="Mobilités",
    )
    Attendance.objects.create(
        session=behind,
        member=member,
        present=True,
        recorded_at=timezone.now(),
        recorded_by=StaffFactory(role="assembly_clerk"),
    )
    page = client.get(URL)
    assert page.status_code == 200
    body = page.content.decode()
    assert ahead.title in body and behind.title in body and planned.title not in body
    assert "présent·e" in body
    assert "no-store" in page["Cache-Control"] or "private" in page["Cache-Control"]


def test_a_member_announces_an_absence_then_takes_it_back(member_client) -> None:
    member, client = member_client
    session = SessionFactory(mandate=member.mandate, status=SessionStatus.PUBLISHED)
    response = client.post(URL, {"session": session.pk, "reason": "Hospitalisation prévue"})
    assert response.status_code == 302
    notice = AbsenceNotice.objects.get(session=session, member=member)
    assert notice.reason == "Hospitalisation prévue"
    entry = AuditEntry.objects.get(verb="assembly.absence_notify")
    assert "Hospitalisation" not in str(entry.after) and "Hospitalisation" not in str(entry.before)
    # The clerk sees it beside the attendance; the public session page does not.
    clerk = Client()
    clerk.force_login(StaffFactory(role="assembly_clerk"))
    clerk_page = clerk.get(f"/assembly/greffe/seances/{session.pk}/").content.decode()
    assert "Hospitalisation prévue" in clerk_page
    assert (
        "Hospitalisation" not in Client().get(f"/assembly/seances/{session.pk}/").content.decode()
    )
    # A second notice updates the reason; it never makes two rows.
    client.post(URL, {"session": session.pk, "reason": "Voyage"})
    assert AbsenceNotice.objects.get(session=session, member=member).reason == "Voyage"
    client.post(URL, {"session": session.pk, "action": "withdraw"})
    assert not AbsenceNotice.objects.filter(session=session).exists()
    assert AuditEntry.objects.filter(verb="assembly.absence_withdraw").count() == 1


def test_no_absence_is_announced_once_the_session_opens(member_client) -> None:
    member, client = member_client
    session = SessionFactory(
        mandate=member.mandate, status=SessionStatus.OPEN, opened_at=timezone.now()
    )
    page = client.post(URL, {"session": session.pk, "reason": "x"}, follow=True)
    assert "ouverture de la séance" in page.content.decode()
    assert not AbsenceNotice.objects.exists()


def test_a_member_acts_only_for_their_own_seat_in_their_own_assembly(member_client) -> None:
    _member, client = member_client
    elsewhere = SessionFactory(status=SessionStatus.PUBLISHED)  # another mandate
    page = client.post(URL, {"session": elsewhere.pk}, follow=True)
    assert "Seuls les membres" in page.content.decode()
    bad = client.post(URL, {"session": "abc"}, follow=True)
    assert "Choisissez une séance" in bad.content.decode()
    assert not AbsenceNotice.objects.exists()


def test_the_space_is_for_members_only(client) -> None:
    assert client.get(URL).status_code == 302  # to the login page
    resident = ResidentFactory()
    client.force_login(resident)
    refused = client.get(URL)
    assert refused.status_code == 403
    assert "Espace réservé aux membres" in refused.content.decode()
    session = SessionFactory(status=SessionStatus.PUBLISHED)
    assert client.post(URL, {"session": session.pk}).status_code == 403
    assert not AbsenceNotice.objects.exists()


def test_a_member_who_left_no_longer_has_a_space(member_client) -> None:
    member, client = member_client
    type(member).objects.filter(pk=member.pk).update(status="left", left_at=timezone.now())
    assert client.get(URL).status_code == 403
