"""A vote's published results as a PDF: the outcome sentence first, then the figures and the
district tables, with the page's masked cells masked and explained: never a figure more than the
page. No PDF before the results are published."""

from __future__ import annotations

import pytest
from django.test import Client

from civic.http_cache import page_memo_forget
from referendums.services.voting import ballot_cast
from tests.documents import numbers, page_text, pdf_link_size, pdf_text
from tests.factories import StaffFactory
from tests.referendums.test_paper import _key_both, figures, paper  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_pages():  # type: ignore[no-untyped-def]
    page_memo_forget()
    yield
    page_memo_forget()


def _publish(campaign) -> None:  # type: ignore[no-untyped-def]
    from referendums.services.campaigns import campaign_publish_results

    campaign_publish_results(campaign_id=campaign.pk, actor=StaffFactory(role="campaign_manager"))


@pytest.fixture
def voted(open_vote, close_vote, settings):  # type: ignore[no-untyped-def]
    """Seven votes over two districts (5 and 2 voters), a small-cell threshold of 3: the second
    district's cells are masked on the page."""
    settings.SMALL_CELL_THRESHOLD = 3
    vote = open_vote(voters=7, districts=2)
    for i, choice in enumerate(["yes", "yes", "no", "yes", "yes", "yes", "no"]):
        ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[i], choices=vote.choices(choice))
    close_vote(vote.campaign)
    return vote


def _section(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end)]


def test_online_results_pdf_says_the_pages_outcome_first_then_its_figures(voted):
    _publish(voted.campaign)
    pk = voted.campaign.pk
    markup = Client().get(f"/referendums/{pk}/results/").content.decode()
    response = Client().get(f"/referendums/{pk}/results.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="resultats-{pk}.pdf"'
    assert response["Cache-Control"].startswith("public")
    assert pdf_link_size(markup, f"/referendums/{pk}/results.pdf") >= 1
    text, page = pdf_text(response.content), page_text(markup)
    outcome = "« Oui » arrive en tête avec 71,4 % des voix."
    assert outcome in page and outcome in text
    assert text.index(outcome) < text.index("71,4 % (5 voix)") < text.index("Par quartier")
    assert "28,6 % (2 voix)" in text
    assert "Participation : 7 votants sur 7 électeurs (100,0 %)." in text


def test_the_pdf_masks_what_the_page_masks_and_explains_it_once(voted):
    _publish(voted.campaign)
    pk = voted.campaign.pk
    page = page_text(Client().get(f"/referendums/{pk}/results/").content.decode())
    text = pdf_text(Client().get(f"/referendums/{pk}/results.pdf").content)
    assert "masqué" in page
    explained = "un nombre de voix inférieur à 3 n'est pas publié"
    assert text.count(explained) == 1 == page.count(explained)
    on_page = _section(page, "Par quartier Pour protéger", "Empreinte de l'urne")
    in_pdf = _section(text, "Par quartier Pour protéger", "Empreinte de l'urne")
    assert in_pdf.count("masqué") == on_page.count("masqué") > 0
    assert numbers(in_pdf) == numbers(on_page)


def test_no_results_pdf_before_publication_nor_for_an_unknown_vote(voted, open_vote):
    pk = voted.campaign.pk
    assert Client().get(f"/referendums/{pk}/results.pdf").status_code == 404  # closed, unpublished
    manager = Client()
    manager.force_login(StaffFactory(role="campaign_manager"))
    assert manager.get(f"/referendums/{pk}/results.pdf").status_code == 404
    assert "results.pdf" not in Client().get(f"/referendums/{pk}/results/").content.decode()
    running = open_vote(voters=1)
    assert Client().get(f"/referendums/{running.campaign.pk}/results.pdf").status_code == 404
    assert Client().get("/referendums/999999/results.pdf").status_code == 404


def test_a_paper_referendum_pdf_gives_the_verdict_and_the_station_table(paper, client):  # noqa: F811
    campaign, stations, clerks = paper
    for station in stations:
        _key_both(campaign, station, clerks, figures(voters=600, blank=0, null=0, yes=450, no=150))
    _publish(campaign)
    text = pdf_text(client.get(f"/referendums/{campaign.pk}/results.pdf").content)
    assert text.index("Le projet est adopté : 75,0 % de oui") < text.index("Par bureau de vote")
    assert stations[0].name in text and stations[0].district.name in text


def test_the_english_results_pdf_is_in_english(voted):
    _publish(voted.campaign)
    response = Client().get(f"/en/referendums/{voted.campaign.pk}/results.pdf")
    text = pdf_text(response.content)
    assert "By district" in text and "Par quartier" not in text
    assert "comes first with 71.4% of the votes." in text
    assert f'filename="results-{voted.campaign.pk}.pdf"' in response["Content-Disposition"]
