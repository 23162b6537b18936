"""Instrument types in English: staff-written names, descriptions and rung obligations have an English
version, shown to English readers and published in the API next to the French."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation

from civic.models import Notification
from petitions import services
from petitions.models import InstrumentType, Obligation, RejectionReason, Rung, Status, TrackRung
from tests.factories import ResidentFactory, StaffFactory
from tests.languages import EnglishClient
from tests.petitions.factories import CHARTER, LEGAL, InitiativeFactory, instrument

pytestmark = pytest.mark.django_db
ENGLISH_MIGRATION = "petitions.migrations.0004_instrument_type_english"
OBLIGATIONS_MIGRATION = "petitions.migrations.0006_english_obligations_and_reasons"


@pytest.fixture(autouse=True)
def _english_of_the_shipped_types() -> Iterator[None]:
    """Transactional tests flush the data migrations: put the English back (idempotent)."""
    instrument(CHARTER)
    importlib.import_module(ENGLISH_MIGRATION).forwards(apps, None)
    importlib.import_module(OBLIGATIONS_MIGRATION).forwards(apps, None)
    yield
    translation.activate(settings.LANGUAGE_CODE)


def english() -> Client:
    return EnglishClient()


def test_the_shipped_instrument_types_and_their_rungs_have_english() -> None:
    for slug in (CHARTER, LEGAL):
        kind = InstrumentType.objects.get(slug=slug)
        assert kind.name_en and kind.description_en and kind.name_en != kind.name
        assert all(rung.obligation_text_en for rung in kind.rungs.all())
    assert InstrumentType.objects.get(slug=LEGAL).name_en == (
        "Request for a consultation (CGCT L1112-16)"
    )


def test_the_name_follows_the_language_and_falls_back_to_french() -> None:
    kind = InstrumentType.objects.get(slug=CHARTER)
    with translation.override("en"):
        assert kind.localized_name == "Right of petition (charter)" == str(kind)
        assert kind.localized_description.startswith("Anyone living in the city")
        kind.name_en = ""
        assert kind.localized_name == "Droit d'interpellation (charte)"
    with translation.override("fr"):
        kind.name_en = "Right of petition (charter)"
        assert kind.localized_name == "Droit d'interpellation (charte)"
    rung = Rung.objects.get(instrument_type=kind, order=1)
    with translation.override("en"):
        assert rung.localized_obligation_text.startswith("A meeting with the elected officials")


def test_the_english_filling_keeps_an_administrators_own_wording() -> None:
    InstrumentType.objects.filter(slug=CHARTER).update(name_en="Our own wording")
    importlib.import_module(ENGLISH_MIGRATION).forwards(apps, None)
    assert InstrumentType.objects.get(slug=CHARTER).name_en == "Our own wording"


def test_the_api_publishes_the_french_and_the_english() -> None:
    data = Client().get("/api/v1/instrument-types/").json()
    charter = next(row for row in data if row["slug"] == CHARTER)
    assert charter["name"] == "Droit d'interpellation (charte)"
    assert charter["name_en"] == "Right of petition (charter)"
    assert charter["description_en"].startswith("Anyone living in the city")
    assert charter["rungs"][0]["obligation_text_en"].startswith("A meeting")
    assert charter["rungs"][0]["obligation_text"].startswith("Rencontre")


def test_an_initiative_page_in_english_names_its_instruments_in_english(freeze) -> None:
    freeze("2026-03-02 10:00")
    initiative = InitiativeFactory(collecting=True, instruments=[CHARTER, LEGAL])
    html = english().get(f"/initiatives/{initiative.pk}/").content.decode()
    assert "Right of petition (charter)" in html
    assert "Request for a consultation (CGCT L1112-16)" in html
    assert "Droit d&#x27;interpellation" not in html and "Demande de consultation" not in html
    assert "Who can sign:" in html and "Qui peut signer" not in html
    assert "30 days left" in html
    french = Client().get(f"/initiatives/{initiative.pk}/").content.decode()
    assert "Droit d&#x27;interpellation (charte)" in french and "Qui peut signer :" in french


def test_the_list_and_its_filter_name_the_instruments_in_english(freeze) -> None:
    freeze("2026-03-02 10:00")
    InitiativeFactory(collecting=True, instruments=[CHARTER])
    html = english().get("/initiatives/").content.decode()
    assert "Right of petition (charter)" in html
    assert "Droit d&#x27;interpellation" not in html


def test_the_english_fields_are_editable_in_the_admin() -> None:
    client = Client()
    client.force_login(StaffFactory(is_superuser=True))
    kind = InstrumentType.objects.get(slug=CHARTER)
    html = client.get(f"/admin/petitions/instrumenttype/{kind.pk}/change/").content.decode()
    assert 'name="name_en"' in html and 'name="description_en"' in html
    assert 'name="rungs-0-obligation_text_en"' in html


def test_a_single_day_left_is_singular_in_both_languages(freeze) -> None:
    freeze("2026-03-02 10:00")
    initiative = InitiativeFactory(collecting=True)
    freeze(initiative.closes_at - timedelta(days=1, hours=2))
    assert "1 day left" in english().get(f"/initiatives/{initiative.pk}/").content.decode()
    assert "1 jour restant" in Client().get(f"/initiatives/{initiative.pk}/").content.decode()
    freeze(initiative.closes_at - timedelta(hours=1, minutes=10))
    assert "1 hour left" in english().get(f"/initiatives/{initiative.pk}/").content.decode()


def _reach_the_first_rung(initiative) -> Obligation:  # type: ignore[no-untyped-def]
    TrackRung.objects.filter(track__initiative=initiative, order=1).update(threshold=1)
    services.signature_sign(initiative_id=initiative.pk, user=ResidentFactory())
    services.counts_tick()
    services.counts_tick()
    return Obligation.objects.get(initiative=initiative)


def test_an_owed_obligation_keeps_its_english_and_shows_it_to_english_readers(freeze) -> None:
    freeze("2026-03-02 10:00")
    initiative = InitiativeFactory(
        status=Status.IN_REVIEW, submitted_at=timezone.now(), instruments=[CHARTER]
    )
    initiative.initiator.language = "en"
    initiative.initiator.save(update_fields=["language"])
    services.initiative_publish(initiative_id=initiative.pk, actor=StaffFactory(role="moderator"))
    rung = TrackRung.objects.get(track__initiative=initiative, order=1)
    assert (
        rung.obligation_text_en
        == Rung.objects.get(instrument_type__slug=CHARTER, order=1).obligation_text_en
    )  # copied when collection opens, as the French is
    obligation = _reach_the_first_rung(initiative)
    assert obligation.text_en.startswith("A meeting with the elected officials")
    assert obligation.text.startswith("Rencontre")
    for path in (f"/initiatives/{initiative.pk}/", "/initiatives/obligations/"):
        html = english().get(path).content.decode()
        assert "A meeting with the elected officials" in html, path
        assert "Rencontre avec" not in html, path
        assert "Rencontre avec" in Client().get(path).content.decode(), path
    notice = Notification.objects.get(recipient=initiative.initiator, kind="petitions.rung_reached")
    assert "A meeting with the elected officials" in notice.body
    rungs = Client().get(f"/api/v1/initiatives/{initiative.pk}/").json()["tracks"][0]["rungs"]
    assert rungs[0]["obligation_text_en"].startswith("A meeting")
    assert rungs[0]["obligation"]["text_en"].startswith("A meeting")
    assert rungs[0]["obligation"]["text"].startswith("Rencontre")


def test_a_rejection_reason_has_english_for_english_readers(freeze) -> None:
    freeze("2026-03-02 10:00")
    initiative = InitiativeFactory(status=Status.SUBMITTED, submitted_at=timezone.now())
    initiative.initiator.language = "en"
    initiative.initiator.save(update_fields=["language"])
    services.initiative_reject(
        initiative_id=initiative.pk,
        actor=StaffFactory(role="moderator"),
        reason_code="hors-competence",
        text="Compétence de l'État.",
    )
    reader = english()
    reader.force_login(initiative.initiator)
    page = reader.get(f"/initiatives/{initiative.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Outside the municipality&#x27;s powers" in html
    assert "Hors des compétences" not in html
    notice = Notification.objects.get(recipient=initiative.initiator, kind="petitions.rejected")
    assert "Outside the municipality's powers" in notice.body
    data = reader.get(f"/api/v1/initiatives/{initiative.pk}/").json()
    assert data["rejection_reason"] == "Hors des compétences de la commune"
    assert data["rejection_reason_en"] == "Outside the municipality's powers"


def test_the_obligations_migration_fills_what_exists_and_keeps_own_wording(freeze) -> None:
    freeze("2026-03-02 10:00")
    initiative = InitiativeFactory(collecting=True, instruments=[CHARTER])
    obligation = _reach_the_first_rung(initiative)
    TrackRung.objects.filter(track__initiative=initiative).update(obligation_text_en="")
    Obligation.objects.filter(pk=obligation.pk).update(text_en="")
    RejectionReason.objects.filter(code="doublon").update(label_en="Our own wording")
    RejectionReason.objects.filter(code="diffamatoire").update(label_en="")
    importlib.import_module(OBLIGATIONS_MIGRATION).forwards(apps, None)
    obligation.refresh_from_db()
    assert obligation.text_en.startswith("A meeting with the elected officials")
    assert all(r.obligation_text_en for r in TrackRung.objects.filter(track__initiative=initiative))
    assert RejectionReason.objects.get(code="doublon").label_en == "Our own wording"
    assert RejectionReason.objects.get(code="diffamatoire").label_en.startswith("Insulting")
