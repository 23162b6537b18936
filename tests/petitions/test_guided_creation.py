"""Guided initiative creation (/initiatives/new/<step>/): one question per page, plain forms that
post and redirect, the answers kept in the session, the creation service the only writer."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from petitions.models import Initiative, Promoter
from tests.factories import ResidentFactory, StaffFactory, UserFactory
from tests.petitions.factories import CHARTER, LEGAL

pytestmark = pytest.mark.django_db

TEXT = {"title": "Une fontaine place Carnot", "summary": "De l'eau pour tous.", "body": "Texte."}


def browser(user=None) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def step(name: str) -> str:
    return f"/initiatives/new/{name}/"


def _walk_to_preview(client: Client, *, goal: str = "commitment", emails: str = "") -> None:
    assert client.post(step("instrument"), {"goal": goal})["Location"] == step("text")
    assert client.post(step("text"), TEXT)["Location"] == step("co-initiators")
    assert client.post(step("co-initiators"), {"emails": emails})["Location"] == step("preview")


def test_home_and_the_old_address_lead_to_the_first_step():
    resident = ResidentFactory()
    assert browser(resident).get("/initiatives/new/")["Location"] == step("instrument")
    assert 'href="/initiatives/new/"' in browser().get("/").content.decode()


def test_a_resident_is_guided_from_the_question_to_what_happens_next():
    initiator, co = ResidentFactory(), ResidentFactory(email="co@example.org")
    client = browser(initiator)
    first = client.get(step("instrument")).content.decode()
    assert "Qu&#x27;attendez-vous de la ville ?" in first and "<script" not in first
    assert "Qui peut signer" in first and "4500 signatures" in first  # the ladder, explained
    _walk_to_preview(client, goal="both", emails="co@example.org\nnobody@example.org")
    preview = client.get(step("preview")).content.decode()
    assert TEXT["title"] in preview and "co@example.org" in preview
    assert Initiative.objects.count() == 0  # nothing is written before the confirmation
    response = client.post(step("preview"))
    assert response["Location"] == step("next")
    initiative = Initiative.objects.get()
    assert initiative.initiator == initiator and initiative.title == TEXT["title"]
    assert [t.instrument_type.slug for t in initiative.tracks.order_by("position")] == [
        CHARTER,
        LEGAL,
    ]
    assert list(Promoter.objects.values_list("user", flat=True)) == [co.pk]
    after = client.get(step("next")).content.decode()  # reloadable: creates nothing more
    assert "Brouillon créé" in after and "ladder-rung" in after
    assert client.get(step("next")).status_code == 200 and Initiative.objects.count() == 1
    # The answers are forgotten: a new initiative starts from the first question.
    assert client.get(step("preview"))["Location"] == step("instrument")


def test_the_co_initiator_rule_is_stated_before_anything_is_saved():
    client = browser(ResidentFactory())
    client.post(step("instrument"), {"goal": "commitment"})
    client.post(step("text"), TEXT)
    html = client.get(step("co-initiators")).content.decode()
    # The charter instrument asks for three promoters (shipped data, min_promoters=3).
    assert "au moins 3 porteurs, vous compris" in html
    assert "Invitez donc au moins 2 autres personnes" in html
    assert "Charte de la participation, art. 2" in html
    assert Initiative.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("instrument", {}, "Choisissez ce que vous attendez de la ville."),
        ("instrument", {"goal": "nonsense"}, "Sélectionnez un choix valide"),
        ("text", {"title": "", "summary": "s", "body": "b"}, "Ce champ est obligatoire."),
        ("text", {**TEXT, "district": "999999"}, "Sélectionnez un choix valide"),
        ("co-initiators", {"emails": "pas-une-adresse"}, "Adresse e-mail invalide"),
        ("co-initiators", {"emails": "me@example.org"}, "Vous êtes déjà porteur"),
    ],
)
def test_bad_input_at_each_step_is_listed_in_the_error_summary(name, data, message):
    client = browser(ResidentFactory(email="me@example.org"))
    if name != "instrument":
        client.post(step("instrument"), {"goal": "commitment"})
    if name == "co-initiators":
        client.post(step("text"), TEXT)
    response = client.post(step(name), data)
    html = response.content.decode()
    assert response.status_code == 200
    summary = re.search(r'<div class="error-summary.*?</div>', html, re.S)
    assert summary is not None and message in summary.group(0)
    assert Initiative.objects.count() == 0


def test_a_step_is_reached_only_after_the_previous_ones():
    client = browser(ResidentFactory())
    assert client.get(step("preview"))["Location"] == step("instrument")
    client.post(step("instrument"), {"goal": "consultation"})
    assert client.get(step("co-initiators"))["Location"] == step("text")
    assert client.get(step("next"))["Location"] == step("instrument")  # nothing created yet
    assert client.get(step("nonsense")).status_code == 404


def test_back_links_and_answers_survive_going_back():
    client = browser(ResidentFactory())
    _walk_to_preview(client)
    html = client.get(step("text")).content.decode()
    assert f'href="{step("instrument")}"' in html and TEXT["title"] in html


def test_an_unverified_account_gets_the_reason_and_the_way_to_verify_not_the_form():
    client = browser(UserFactory())
    html = client.get(step("instrument")).content.decode()
    assert "Vérifier mon compte" in html and 'name="goal"' not in html
    client.post(step("instrument"), {"goal": "commitment"})
    assert client.get(step("text")).content.decode().count('name="title"') == 0


def test_anonymous_visitors_are_sent_to_log_in():
    response = browser().get(step("instrument"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_refusal_of_the_service_is_shown_on_the_preview_and_nothing_is_written():
    client = browser(ResidentFactory())
    _walk_to_preview(client, emails="x@example.org")
    from petitions.models import InstrumentType

    InstrumentType.objects.filter(slug=CHARTER).update(active=False)
    response = client.post(step("preview"))
    # The instrument the answer led to is no longer offered: back to the question.
    assert response.status_code == 302 and response["Location"] == step("instrument")
    assert Initiative.objects.count() == 0 and Promoter.objects.count() == 0


def test_someone_else_cannot_read_the_next_page_of_a_draft():
    initiator = ResidentFactory()
    client = browser(initiator)
    _walk_to_preview(client)
    client.post(step("preview"))
    staff = browser(StaffFactory(role="moderator"))
    assert staff.get(step("next"))["Location"] == step("instrument")


def test_the_english_pages_are_translated():
    client = browser(ResidentFactory())
    html = client.get("/en" + step("instrument")).content.decode()
    assert "What do you expect from the city?" in html
