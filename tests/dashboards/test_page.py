"""The public dashboard page: charts drawn as SVG, each with its data as a table, no script."""

from __future__ import annotations

import re

import pytest

from tests.dashboards.factories import sign, tick
from tests.petitions.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

URL = "/tableau-de-bord/"


@pytest.fixture
def page(client, now):  # type: ignore[no-untyped-def]
    initiative = InitiativeFactory(collecting=True, title="Des arbres rue Haute")
    sign(initiative, 12, in_district="centre")
    sign(initiative, 2, in_district="nord")
    sign(initiative, 3, in_district="est")  # two small cells: no secondary suppression needed
    tick()
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_draws_the_curve_with_its_rungs_and_the_district_bars(page):
    assert "Des arbres rue Haute" in page
    assert 'class="dash-line"' in page
    assert 'class="dash-rung"' in page
    assert page.count("<svg") >= 3


def test_every_chart_has_its_data_as_a_table(page):
    assert page.count("<figure>") <= page.count("<table>")
    assert re.search(r"<th scope=\"row\">Quartier centre</th><td>12</td>", page)


def test_a_small_district_is_shown_as_masked_not_as_its_count(page):
    assert "Quartier nord</th><td>masqué" in page
    assert "Quartier nord</th><td>2<" not in page


def test_the_page_has_one_h1_no_script_and_no_inline_style(page):
    assert page.count("<h1") == 1
    assert "<script" not in page.split("</main>")[0].split("<main")[-1]
    assert " style=" not in page
    assert "<style" not in page


def test_the_page_costs_the_same_queries_with_more_initiatives(
    client, now, django_assert_max_num_queries
):
    for _ in range(5):
        InitiativeFactory(collecting=True)
    tick()
    with django_assert_max_num_queries(4):
        client.get(URL)


def test_before_the_first_tick_the_page_says_figures_are_coming(client, db):
    assert "en cours de préparation" in client.get(URL).content.decode()


def test_the_open_data_page_lists_every_dataset(client, db):
    from dashboards.opendata import DATASETS

    text = client.get("/tableau-de-bord/donnees/").content.decode()
    for name in DATASETS:
        assert f"{name}.csv" in text and f"{name}.json" in text


def test_svg_coordinates_are_never_written_with_a_decimal_comma(page):
    for svg in re.findall(r"<svg.*?</svg>", page, flags=re.S):
        assert not re.search(r'(x|y|x1|x2|y1|y2|width|height)="[0-9]+,[0-9]', svg)


def test_the_english_dashboard_is_in_english(client, page):
    english = client.get("/en/tableau-de-bord/").content.decode()
    assert "Participation dashboard" in english and "Signatures by district" in english
    assert "Tableau de bord de la participation" not in english
    assert "Signatures par quartier" not in english
