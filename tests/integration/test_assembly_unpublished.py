"""An initiative on the assembly's agenda is unpublished by a moderator: the assembly, told by
`petitions.collection_changed`, shows "Initiative dépubliée" instead of its title on the item
(session page, API, minutes page, API and PDF, open data), its own record kept; reinstated, the
title is back (docs/civic-rules.md, "Moderation")."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from assembly.models import AgendaItem, AgendaRequest, Minutes, MinutesStatus, SourceKind
from assembly.services import sessions
from assembly.services.agenda_requests import agenda_requests_place, agenda_source_moderated
from civic.events import events_drain
from civic.http_cache import page_memo_forget
from petitions import services as petitions
from petitions.models import CollectionChange, ObligationKind, TrackRung
from tests.assembly.factories import MandateFactory, SessionFactory
from tests.documents import pdf_text
from tests.factories import ResidentFactory, StaffFactory
from tests.petitions.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

TITLE = "Des arbres rue de la Gare"
LABEL = "Initiative dépubliée"


@pytest.fixture(autouse=True)
def _fresh_pages():  # type: ignore[no-untyped-def]
    page_memo_forget()
    yield
    page_memo_forget()


@pytest.fixture
def on_agenda():  # type: ignore[no-untyped-def]
    """An initiative placed on a session that then closed, its minutes published."""
    clerk = StaffFactory(role="assembly_clerk")
    session = SessionFactory(mandate=MandateFactory(seated=True))
    initiative = InitiativeFactory(collecting=True, title=TITLE)
    TrackRung.objects.filter(track__initiative=initiative, order=1).update(
        threshold=1, obligation_kind=ObligationKind.ASSEMBLY_AGENDA
    )
    petitions.signature_sign(initiative_id=initiative.pk, user=ResidentFactory())
    petitions.counts_fold()
    petitions.rungs_evaluate(initiative_ids=[initiative.pk])
    events_drain()
    sessions.session_publish_agenda(session_id=session.pk, actor=clerk)
    sessions.session_open(session_id=session.pk, actor=clerk)
    sessions.session_close(session_id=session.pk, actor=clerk)
    events_drain()
    Minutes.objects.filter(session=session).update(
        status=MinutesStatus.PUBLISHED,
        published_at=timezone.now(),
        approved_at=timezone.now(),
        approved_in=SessionFactory(mandate=session.mandate),
    )
    assert TITLE in Minutes.objects.get(session=session).body
    return initiative, session


def _moderate(initiative, target: str) -> None:  # type: ignore[no-untyped-def]
    petitions.initiative_moderate(
        initiative_id=initiative.pk,
        actor=StaffFactory(role="moderator"),
        target=target,
        reason="Contenu illicite.",
    )
    events_drain()
    page_memo_forget()


def _text(url: str) -> str:
    response = Client().get(url)
    assert response.status_code == 200, url
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    if response["Content-Type"] == "application/pdf":
        return pdf_text(response.content)
    return response.content.decode()


PATHS = [
    pytest.param(lambda s: f"/assembly/seances/{s.pk}/", id="session page and minutes"),
    pytest.param(lambda s: f"/assembly/seances/{s.pk}/proces-verbal.pdf", id="minutes pdf"),
    pytest.param(lambda s: f"/api/v1/sessions/{s.pk}/", id="session api"),
    pytest.param(lambda s: "/tableau-de-bord/donnees/assembly-minutes.csv", id="open data"),
]


@pytest.mark.parametrize("url_of", PATHS)
def test_the_assembly_shows_the_label_while_the_initiative_is_unpublished(on_agenda, url_of):
    initiative, session = on_agenda
    url = url_of(session)
    assert TITLE in _text(url)
    _moderate(initiative, "unpublished")
    during = _text(url)
    assert TITLE not in during and LABEL in during
    _moderate(initiative, "public")
    assert TITLE in _text(url)


def test_the_assembly_keeps_its_record_and_the_clerks_edit(on_agenda):
    initiative, _session = on_agenda
    item = AgendaItem.objects.get(source_kind=SourceKind.INITIATIVE, source_id=initiative.pk)
    AgendaItem.objects.filter(pk=item.pk).update(title="Plantations rue de la Gare")
    _moderate(initiative, "unpublished")
    item.refresh_from_db()
    assert item.title == LABEL
    assert AgendaRequest.objects.get(placed_item=item).title == "Plantations rue de la Gare"
    # Told twice (a repeated delivery, the same ordering stamp): nothing lost.
    last = CollectionChange.objects.filter(initiative=initiative).latest("id")
    assert not agenda_source_moderated(
        initiative_id=initiative.pk, withdrawn=True, title=TITLE, change_id=last.pk
    )
    _moderate(initiative, "public")
    item.refresh_from_db()
    assert item.title == "Plantations rue de la Gare"


def test_a_request_still_waiting_is_placed_without_the_title_while_unpublished():
    initiative = InitiativeFactory(collecting=True, title=TITLE)
    TrackRung.objects.filter(track__initiative=initiative, order=1).update(
        threshold=1, obligation_kind=ObligationKind.ASSEMBLY_AGENDA
    )
    petitions.signature_sign(initiative_id=initiative.pk, user=ResidentFactory())
    petitions.counts_fold()
    petitions.rungs_evaluate(initiative_ids=[initiative.pk])
    events_drain()  # no seated assembly: the request waits
    _moderate(initiative, "unpublished")
    SessionFactory(mandate=MandateFactory(seated=True))
    assert agenda_requests_place() == 1
    item = AgendaItem.objects.get(source_kind=SourceKind.INITIATIVE, source_id=initiative.pk)
    assert item.title == LABEL
    _moderate(initiative, "public")
    item.refresh_from_db()
    assert item.title == TITLE
