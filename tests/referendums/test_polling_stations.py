"""The polling-station finder (/referendums/polling-stations/): by street or district, a public
cacheable GET page, no JavaScript; bad input never fails."""

from __future__ import annotations

import pytest
from django.test import Client

from referendums.stations import fold, query_words, stations_find
from tests.factories import DistrictFactory
from tests.referendums.factories import PollingStationFactory

pytestmark = pytest.mark.django_db
URL = "/referendums/polling-stations/"


@pytest.fixture
def stations():  # type: ignore[no-untyped-def]
    centre = DistrictFactory(code="centre", name="Centre-ville")
    gare = DistrictFactory(code="gare", name="Quartier de la Gare")
    return {
        "ferry": PollingStationFactory(
            name="École Jules Ferry", address="3 rue Carnot", district=centre
        ),
        "bert": PollingStationFactory(
            name="École Paul Bert", address="12 allée d'Iéna", district=centre
        ),
        "gare": PollingStationFactory(
            name="Salle des fêtes", address="1 place de la Gare", district=gare
        ),
    }


def test_words_are_folded_and_the_number_and_street_type_ignored():
    assert fold("Allée d'Iéna") == "allee d iena"
    assert query_words("12 Rue CARNOT") == ["carnot"]


@pytest.mark.parametrize(
    ("query", "district", "expected"),
    [
        ("12 rue Carnot", "", ["ferry"]),
        ("allee d'iena", "", ["bert"]),
        ("Iéna", "", ["bert"]),
        ("gare", "", ["gare"]),  # the district's name
        ("", "centre", ["ferry", "bert"]),
        ("carnot", "gare", []),  # the street is not in that district
        ("rue inconnue", "", []),
    ],
)
def test_the_finder_matches_streets_names_and_districts(stations, query, district, expected):
    found = stations_find(query=query, district_code=district)
    assert sorted(s.pk for s in found) == sorted(stations[k].pk for k in expected)


def test_an_empty_search_finds_nothing_rather_than_everything(stations):
    assert stations_find(query="", district_code="") == []
    assert stations_find(query="rue 12", district_code="") == []


def test_the_page_answers_by_street_without_javascript_and_is_public(stations):
    response = Client().get(URL, {"q": "rue Carnot"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "École Jules Ferry" in html and "3 rue Carnot" in html and "Centre-ville" in html
    assert "École Paul Bert" not in html and "<script" not in html
    assert response["Cache-Control"].startswith("public, ")
    assert "csrfmiddlewaretoken" not in html and 'method="get"' in html


def test_the_page_by_district_and_without_result(stations):
    html = Client().get(URL, {"district": "gare"}).content.decode()
    assert "Salle des fêtes" in html and "École Jules Ferry" not in html
    html = Client().get(URL, {"q": "nulle part"}).content.decode()
    assert "Aucun bureau de vote ne correspond" in html


@pytest.mark.parametrize(
    "params",
    [{"district": "inexistant"}, {"q": "x" * 5000}, {"q": "\x00"}, {"district": ["a", "b"]}],
)
def test_bad_input_gets_the_page_with_a_message_never_a_500(stations, params):
    response = Client().get(URL, params)
    assert response.status_code == 200


def test_the_referendum_list_links_to_the_finder_and_english_is_translated(stations):
    assert URL in Client().get("/referendums/").content.decode()
    assert "Where do I vote?" in Client().get("/en" + URL).content.decode()


def test_a_binding_referendum_page_says_where_to_vote():
    from referendums.models import CampaignStatus
    from tests.referendums.factories import CampaignFactory

    binding = CampaignFactory(binding=True, status=CampaignStatus.SCHEDULED)
    online = CampaignFactory(status=CampaignStatus.SCHEDULED)
    assert URL in Client().get(f"/referendums/{binding.pk}/").content.decode()
    assert URL not in Client().get(f"/referendums/{online.pk}/").content.decode()
