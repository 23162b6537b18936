"""The published minutes of a session as a PDF: the page's content, public exactly when the page
shows the minutes to everyone, in the reader's language."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from assembly.models import AgendaItem, Majority, Minutes, MinutesStatus, SourceKind
from assembly.services import sessions, votes
from civic.http_cache import page_memo_forget
from tests.assembly.factories import SessionFactory
from tests.documents import pdf_link_size, pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_pages():  # type: ignore[no-untyped-def]
    page_memo_forget()
    yield
    page_memo_forget()


@pytest.fixture
def closed_session(open_session, clerk):  # type: ignore[no-untyped-def]
    session, members = open_session
    AgendaItem.objects.create(
        mandate=session.mandate,
        session=session,
        position=1,
        title="Mobilités douces",
        duration_minutes=40,
        source_kind=SourceKind.STAFF,
    )
    for m in members[:3]:
        votes.attendance_record(session_id=session.pk, member_id=m.pk, present=True, actor=clerk)
    motion = votes.motion_create(
        session_id=session.pk, actor=clerk, title="Zone 30 rue Carnot", majority=Majority.SIMPLE
    )
    votes.motion_open(motion_id=motion.pk, actor=clerk)
    votes.vote_record(motion_id=motion.pk, member_id=members[0].pk, choice="for", actor=clerk)
    votes.motion_close(motion_id=motion.pk, actor=clerk)
    sessions.session_close(session_id=session.pk, actor=clerk)
    Minutes.objects.filter(session=session).update(
        body="L'assemblée a débattu des pistes cyclables.\n\nElle adopte la zone 30 à l'unanimité.",
    )
    return session


def _publish(session) -> None:  # type: ignore[no-untyped-def]
    Minutes.objects.filter(session=session).update(
        status=MinutesStatus.PUBLISHED,
        published_at=timezone.now(),
        approved_at=timezone.now(),
        approved_in=SessionFactory(mandate=session.mandate),
    )


def test_published_minutes_are_a_pdf_with_the_pages_content_linked_with_its_size(closed_session):
    _publish(closed_session)
    url = f"/assembly/seances/{closed_session.pk}/proces-verbal.pdf"
    page = Client().get(f"/assembly/seances/{closed_session.pk}/").content.decode()
    response = Client().get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="proces-verbal-seance-{closed_session.pk}.pdf"'
    )
    assert response["Cache-Control"].startswith("public") and response["ETag"]
    assert pdf_link_size(page, url) == -(-len(response.content) // 1024)
    text = pdf_text(response.content)
    assert closed_session.title in text
    assert "Ordre du jour 1. Mobilités douces (40 min)" in text
    assert "Zone 30 rue Carnot" in text and "Adoptée" in text
    assert "L'assemblée a débattu des pistes cyclables." in text
    assert "Elle adopte la zone 30 à l'unanimité." in text
    assert text.index("Procès-verbal") < text.index("pistes cyclables")
    assert f"/assembly/seances/{closed_session.pk}/" in text
    again = Client().get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_minutes_not_yet_published_have_no_pdf_for_anyone(closed_session, staff):
    url = f"/assembly/seances/{closed_session.pk}/proces-verbal.pdf"
    assert Client().get(url).status_code == 404
    assert staff.get(url).status_code == 404  # the clerk reads the draft on the page
    assert (
        "proces-verbal.pdf"
        not in staff.get(f"/assembly/seances/{closed_session.pk}/").content.decode()
    )
    Minutes.objects.filter(session=closed_session).update(
        status=MinutesStatus.APPROVED,
        approved_at=timezone.now(),
        approved_in=SessionFactory(mandate=closed_session.mandate),
    )
    assert Client().get(url).status_code == 404


def test_a_planned_session_and_an_unknown_one_have_no_minutes_pdf(open_session, staff):
    session, _members = open_session
    planned = SessionFactory(mandate=session.mandate)
    assert Client().get(f"/assembly/seances/{planned.pk}/proces-verbal.pdf").status_code == 404
    assert Client().get("/assembly/seances/999999/proces-verbal.pdf").status_code == 404


def test_the_english_minutes_pdf_is_in_english(closed_session):
    _publish(closed_session)
    response = Client().get(f"/en/assembly/seances/{closed_session.pk}/proces-verbal.pdf")
    text = pdf_text(response.content)
    assert "Agenda" in text and "Minutes" in text and "Ordre du jour" not in text
    assert "Online version" in text
    assert f'filename="minutes-session-{closed_session.pk}.pdf"' in response["Content-Disposition"]
    page = Client().get(f"/en/assembly/seances/{closed_session.pk}/").content.decode()
    assert "Download as PDF (" in page
