""" "Mes données": the resident's data as readable summary lists, the JSON download beside them;
votes say only that the resident voted, never how."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from civic.models import Notification
from petitions import services as petitions
from referendums.models import CampaignStatus, Participation
from tests.factories import ResidentFactory, UserFactory
from tests.petitions.factories import InitiativeFactory
from tests.referendums.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_the_page_shows_each_kind_of_data_in_words_with_the_download_beside(freeze):
    freeze("2026-03-02 10:00")
    resident = ResidentFactory(register_entry__last_name="Martin")
    initiative = InitiativeFactory(collecting=True, title="Des bancs au parc")
    petitions.signature_sign(initiative_id=initiative.pk, user=resident)
    closed = CampaignFactory(
        status=CampaignStatus.CLOSED,
        title_fr="Éclairer le parc ?",
        opened_at=timezone.now(),
        closed_at=timezone.now(),
    )
    Participation.objects.create(
        campaign=closed, register_entry=resident.register_entry, voted_at=timezone.now()
    )
    Notification.objects.create(recipient=resident, kind="k", subject="Bienvenue", body="b")
    html = _client(resident).get("/me/data/").content.decode()
    for heading in (
        "Votre compte",
        "Vérification de résidence",
        "Vos signatures",
        "Vos votes",
        "Les initiatives que vous portez ou suivez",
        "Vos messages",
    ):
        assert f">{heading}</h2>" in html, heading
    assert 'class="summary-list"' in html and "<pre" not in html
    assert "Martin" in html and "Des bancs au parc" in html and "Éclairer le parc ?" in html
    assert "vous avez voté" in html and "2 mars 2026" in html
    assert "Rapprochement avec le registre" in html or "Vérification au guichet" in html
    assert 'href="?format=json"' in html
    # No code shown to the resident: statuses and channels are words.
    assert ">online<" not in html and "resident_16" not in html


def test_the_json_download_holds_the_same_data_and_the_notifications():
    resident = ResidentFactory()
    Notification.objects.create(recipient=resident, kind="k", subject="Bienvenue", body="b")
    response = _client(resident).get("/me/data/?format=json")
    assert response["Content-Disposition"] == 'attachment; filename="mes-donnees.json"'
    data = response.json()
    assert data["notifications"][0]["subject"] == "Bienvenue"
    assert set(data) >= {"account", "register_entry", "petitions", "referendums", "assembly"}


def test_an_unverified_account_is_told_so_and_sees_nobody_elses_data():
    other = ResidentFactory(register_entry__last_name="Dupont")
    Notification.objects.create(recipient=other, kind="k", subject="Secret", body="b")
    html = _client(UserFactory()).get("/me/data/").content.decode()
    assert "pas encore vérifié" in html
    assert "Dupont" not in html and "Secret" not in html


def test_a_visitor_is_sent_to_log_in():
    response = Client().get("/me/data/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
