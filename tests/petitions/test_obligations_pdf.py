"""An initiative's obligations as a PDF: the rungs, what each one reached commits the city to,
due dates and states, and the city's answer; for whoever may see the initiative's page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from civic.http_cache import page_memo_forget
from petitions import services
from petitions.models import Obligation, TrackRung
from tests.documents import pdf_link_size, pdf_text
from tests.factories import ResidentFactory, StaffFactory
from tests.petitions.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_pages():  # type: ignore[no-untyped-def]
    page_memo_forget()
    yield
    page_memo_forget()


@pytest.fixture
def reached(freeze):  # type: ignore[no-untyped-def]
    """A collecting initiative whose first rung was reached (its obligation open)."""
    freeze("2026-03-02 10:00")
    initiative = InitiativeFactory(collecting=True, title="Des arbres rue de la Gare")
    TrackRung.objects.filter(track__initiative=initiative, order=1).update(threshold=1)
    services.signature_sign(initiative_id=initiative.pk, user=ResidentFactory())
    services.counts_tick()
    return initiative


def test_the_obligations_pdf_lists_rungs_due_dates_states_and_the_citys_answer(reached):
    obligation = Obligation.objects.get()
    services.obligation_complete(
        obligation_id=obligation.pk,
        actor=StaffFactory(role="moderator"),
        evidence="Réunion tenue avec les élus le 10 mars ; compte rendu en mairie.",
    )
    url = f"/initiatives/{reached.pk}/engagements.pdf"
    page = Client().get(f"/initiatives/{reached.pk}/").content.decode()
    response = Client().get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="engagements-initiative-{reached.pk}.pdf"'
    )
    assert response["Cache-Control"].startswith("public")
    assert pdf_link_size(page, url) == -(-len(response.content) // 1024)
    text = pdf_text(response.content)
    assert "Engagements de la ville : Des arbres rue de la Gare" in text
    rungs = list(TrackRung.objects.filter(track__initiative=reached).order_by("order"))
    first = rungs[0]
    assert first.localized_obligation_text.split()[0] in text
    assert f"(sous {first.due_days} jours)" in text
    assert "Tenu le 2 mars 2026" in text
    assert "Réunion tenue avec les élus le 10 mars ; compte rendu en mairie." in text
    assert text.count("Pas encore atteint") == len(rungs) - 1


def test_an_open_obligation_shows_its_due_date_then_overdue(reached, freeze):
    obligation = Obligation.objects.get()
    due = timezone.localtime(obligation.due_at)
    text = pdf_text(Client().get(f"/initiatives/{reached.pk}/engagements.pdf").content)
    assert "Atteint le 2 mars 2026, à tenir avant le" in text
    freeze(obligation.due_at + timezone.timedelta(days=1))
    page_memo_forget()
    text = pdf_text(Client().get(f"/initiatives/{reached.pk}/engagements.pdf").content)
    assert "En retard attendu pour le" in text and str(due.year) in text


def test_a_draft_initiatives_obligations_pdf_is_not_public(freeze):
    freeze("2026-03-02 10:00")
    draft = InitiativeFactory()
    url = f"/initiatives/{draft.pk}/engagements.pdf"
    assert Client().get(url).status_code == 404
    stranger = Client()
    stranger.force_login(ResidentFactory())
    assert stranger.get(url).status_code == 404
    initiator = Client()
    initiator.force_login(draft.initiator)
    answer = initiator.get(url)  # the initiator sees the draft's page, and so its document
    assert answer.status_code == 200 and answer["Cache-Control"] == "private, no-cache"
    assert Client().get("/initiatives/999999/engagements.pdf").status_code == 404


def test_the_english_obligations_pdf_is_in_english(reached):
    response = Client().get(f"/en/initiatives/{reached.pk}/engagements.pdf")
    text = pdf_text(response.content)
    assert "Not reached yet" in text and "Pas encore atteint" not in text
    assert (
        f'filename="city-commitments-initiative-{reached.pk}.pdf"'
        in response["Content-Disposition"]
    )
