"""The public calendar (iCalendar) and news (Atom) feeds: what they list, what they leave out, and
that they are cacheable public pages whose bytes change only when an entry does."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from assembly.models import Minutes, MinutesStatus, SessionStatus
from civic.http_cache import page_memo_forget
from referendums.models import Campaign, CampaignStatus
from tests.assembly.factories import SessionFactory
from tests.petitions.factories import InitiativeFactory
from tests.referendums.factories import CampaignFactory

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(autouse=True)
def _no_page_memo():  # type: ignore[no-untyped-def]
    page_memo_forget()
    yield
    page_memo_forget()


def _events(client, path="/agenda.ics"):  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    return {str(event["UID"]).split("@")[0]: event for event in calendar.walk("VEVENT")}


def _entries(client, path="/actualites.xml"):  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.content)  # noqa: S314 - our own response, not untrusted input
    return [
        (entry.findtext(f"{ATOM}title"), entry.find(f"{ATOM}link").get("href"))
        for entry in root.iter(f"{ATOM}entry")
    ]


def _published_results(**fields):  # type: ignore[no-untyped-def]
    campaign = CampaignFactory(status=CampaignStatus.SCHEDULED, **fields)
    Campaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.RESULTS_PUBLISHED,
        closed_at=timezone.now() - timedelta(days=1),
        published_at=timezone.now(),
        results={"yes": 1, "no": 0},
    )
    return campaign


def test_the_calendar_lists_deadlines_votes_and_announced_sessions_only(client):
    collecting = InitiativeFactory(collecting=True, title="Des bancs place d'Armes")
    draft = InitiativeFactory(title="Brouillon")
    vote = CampaignFactory(status=CampaignStatus.VOTING, title_fr="Piétonnisation")
    hidden_vote = CampaignFactory(status=CampaignStatus.DRAFT)
    session = SessionFactory(status=SessionStatus.PUBLISHED, place="Salle des fêtes")
    planned = SessionFactory(status=SessionStatus.PLANNED)

    events = _events(client)

    deadline = events[f"initiative-{collecting.pk}-closes"]
    assert str(deadline["SUMMARY"]) == "Fin de la collecte : Des bancs place d'Armes"
    assert deadline.decoded("DTSTART") == collecting.closes_at.replace(microsecond=0)
    assert "DTEND" not in deadline  # a moment, not a span
    assert str(deadline["URL"]).endswith(f"/initiatives/{collecting.pk}/")
    window = events[f"referendum-{vote.pk}-vote"]
    assert window.decoded("DTSTART") == vote.voting_opens_at.replace(microsecond=0)
    assert window.decoded("DTEND") == vote.voting_closes_at.replace(microsecond=0)
    assert str(window["SUMMARY"]) == "Vote : Piétonnisation"
    sitting = events[f"assembly-session-{session.pk}"]
    assert str(sitting["LOCATION"]) == "Salle des fêtes"
    assert sitting.decoded("DTEND") - sitting.decoded("DTSTART") == timedelta(minutes=120)
    assert str(sitting["STATUS"]) == "CONFIRMED"
    for absent in (f"initiative-{draft.pk}-closes", f"referendum-{hidden_vote.pk}-vote"):
        assert absent not in events
    assert f"assembly-session-{planned.pk}" not in events


def test_a_cancelled_session_stays_in_the_calendar_marked_cancelled(client):
    session = SessionFactory(status=SessionStatus.CANCELLED)
    assert str(_events(client)[f"assembly-session-{session.pk}"]["STATUS"]) == "CANCELLED"


def test_the_english_calendar_speaks_english(client):
    vote = CampaignFactory(
        status=CampaignStatus.VOTING, title_fr="Piétonnisation", title_en="Car-free centre"
    )
    events = _events(client, "/en/agenda.ics")
    assert str(events[f"referendum-{vote.pk}-vote"]["SUMMARY"]) == "Vote: Car-free centre"
    assert f"/en/referendums/{vote.pk}/" in str(events[f"referendum-{vote.pk}-vote"]["URL"])


def test_the_news_lists_new_initiatives_results_and_published_minutes_newest_first(client):
    older = InitiativeFactory(collecting=True, title="Jardins partagés")
    InitiativeFactory(
        collecting=True, title="Retirée", status="withdrawn", withdrawn_at=timezone.now()
    )
    results = _published_results(title_fr="Budget participatif")
    session = SessionFactory(status=SessionStatus.CLOSED, title="Séance de mars")
    draft_session = SessionFactory(status=SessionStatus.CLOSED, title="Séance d'avril")
    approved_in = SessionFactory(status=SessionStatus.CLOSED)
    now = timezone.now()
    Minutes.objects.create(
        session=session,
        body="…",
        status=MinutesStatus.PUBLISHED,
        drafted_at=now,
        approved_at=now,
        approved_in=approved_in,
        published_at=now + timedelta(minutes=1),
    )
    Minutes.objects.create(session=draft_session, body="…", drafted_at=now)
    type(older).objects.filter(pk=older.pk).update(published_at=now - timedelta(days=2))

    entries = _entries(client)

    titles = [title for title, _link in entries]
    assert titles == [
        "Procès-verbal : Séance de mars",
        "Résultats : Budget participatif",
        "Nouvelle initiative : Jardins partagés",
    ]
    links = dict(entries)
    assert links["Résultats : Budget participatif"].endswith(f"/referendums/{results.pk}/results/")
    assert links["Procès-verbal : Séance de mars"].startswith("http://testserver/")


def test_feeds_are_public_pages_whose_bytes_change_only_with_an_entry(client):
    session = SessionFactory(status=SessionStatus.PUBLISHED, title="Séance ouverte")
    first = client.get("/agenda.ics")
    assert first["Cache-Control"].startswith("public")
    assert "Set-Cookie" not in first and "Cookie" not in first.get("Vary", "")
    page_memo_forget()
    again = client.get("/agenda.ics")
    assert again.content == first.content and again["ETag"] == first["ETag"]
    assert client.get("/agenda.ics", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304

    session.title = "Séance déplacée"
    session.save(update_fields=["title"])
    page_memo_forget()
    moved = client.get("/agenda.ics")
    assert moved["ETag"] != first["ETag"]
    assert b"S\xc3\xa9ance d\xc3\xa9plac\xc3\xa9e" in moved.content


def test_each_feed_costs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    for _ in range(3):
        InitiativeFactory(collecting=True)
        CampaignFactory(status=CampaignStatus.VOTING)
        SessionFactory(status=SessionStatus.PUBLISHED)
        _published_results()
    with django_assert_max_num_queries(3):  # one per instrument
        client.get("/agenda.ics")
    with django_assert_max_num_queries(3):
        client.get("/actualites.xml")


def test_every_page_links_both_feeds(client):
    page = client.get("/").content.decode()
    assert 'href="/agenda.ics"' in page and 'href="/actualites.xml"' in page
    assert 'rel="alternate" type="application/atom+xml"' in page
    english = client.get("/en/").content.decode()
    assert 'href="/en/agenda.ics"' in english
