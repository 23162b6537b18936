"""Every public path that names an initiative follows its publication (docs/civic-rules.md,
"Moderation"): once unpublished, none shows its title, summary or text (the one rule
`rules.public_title` / `rules.public_text`); reinstated, each shows them again. Figures stay."""

from __future__ import annotations

import pytest
from django.test import Client

from civic.http_cache import page_memo_forget
from petitions import services
from petitions.models import Initiative, TrackRung
from tests.documents import pdf_text
from tests.factories import ResidentFactory
from tests.petitions.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

TITLE = "Des arbres rue de la Gare"
REASON = "Propos injurieux envers une personne nommée."
LABEL = "Initiative dépubliée"


@pytest.fixture(autouse=True)
def _fresh_pages():  # type: ignore[no-untyped-def]
    page_memo_forget()
    yield
    page_memo_forget()


@pytest.fixture
def reached(freeze):  # type: ignore[no-untyped-def]
    """A collecting initiative, signed once by `signer`, whose first rung was reached."""
    freeze("2026-03-02 10:00")
    initiative = InitiativeFactory(collecting=True, title=TITLE)
    TrackRung.objects.filter(track__initiative=initiative, order=1).update(threshold=1)
    signer = ResidentFactory()
    services.signature_sign(initiative_id=initiative.pk, user=signer)
    services.counts_tick()
    initiative.signer = signer  # type: ignore[attr-defined]
    return initiative


def _unpublish(initiative: Initiative, moderator) -> None:  # type: ignore[no-untyped-def]
    services.initiative_unpublish(initiative_id=initiative.pk, actor=moderator, reason=REASON)
    page_memo_forget()


def _reinstate(initiative: Initiative, moderator) -> None:  # type: ignore[no-untyped-def]
    services.initiative_reinstate(initiative_id=initiative.pk, actor=moderator, reason="Corrigé.")
    page_memo_forget()


def _text(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    if response["Content-Type"] == "application/pdf":
        return pdf_text(response.content)
    return response.content.decode()


PUBLIC_PAGES = [
    pytest.param(lambda i: "/initiatives/obligations/", id="obligations page"),
    pytest.param(lambda i: f"/initiatives/{i.pk}/engagements.pdf", id="obligations pdf"),
    pytest.param(lambda i: f"/initiatives/{i.pk}/rejections/", id="rejected signatures register"),
    pytest.param(lambda i: f"/initiatives/{i.pk}/", id="page"),
    pytest.param(lambda i: f"/initiatives/?q={TITLE[:8]}", id="search"),
]


@pytest.mark.parametrize("url_of", PUBLIC_PAGES)
def test_a_public_page_hides_the_title_while_unpublished(reached, moderator, url_of):
    url = url_of(reached)
    assert TITLE in _text(Client(), url)
    _unpublish(reached, moderator)
    assert TITLE not in _text(Client(), url)
    _reinstate(reached, moderator)
    assert TITLE in _text(Client(), url)


def test_the_signers_own_list_names_it_initiative_depubliee(reached, moderator):
    client = Client()
    client.force_login(reached.signer)
    assert TITLE in _text(client, "/initiatives/my-signatures/")
    _unpublish(reached, moderator)
    page = _text(client, "/initiatives/my-signatures/")
    assert TITLE not in page and LABEL in page
    _reinstate(reached, moderator)
    assert TITLE in _text(client, "/initiatives/my-signatures/")


def test_the_api_names_it_as_the_page_does_and_keeps_its_figures(reached, moderator):
    api = f"/api/v1/initiatives/{reached.pk}/"
    before = Client().get(api).json()
    assert before["title"] == TITLE
    _unpublish(reached, moderator)
    during = Client().get(api).json()
    assert (during["title"], during["summary"], during["body"]) == (LABEL, "", "")
    assert during["signatures"] == before["signatures"] == 1
    assert TITLE not in Client().get("/api/v1/initiatives/").content.decode()
    _reinstate(reached, moderator)
    assert Client().get(api).json()["title"] == TITLE
