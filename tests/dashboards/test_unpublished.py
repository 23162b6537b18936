"""An unpublished initiative on the dashboards: its figures stay, its title does not (the page, the
API, the open-data initiatives, told by `petitions.collection_changed`); reinstated, it is back."""

from __future__ import annotations

import csv
import io

import pytest

from civic.events import events_drain
from petitions import services
from tests.dashboards.factories import sign, tick
from tests.factories import StaffFactory
from tests.petitions.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

TITLE = "Des arbres rue Haute"
LABEL = "Initiative dépubliée"


@pytest.fixture
def signed(now):  # type: ignore[no-untyped-def]
    initiative = InitiativeFactory(collecting=True, title=TITLE, summary="Un résumé à retirer.")
    sign(initiative, 3)
    tick()
    return initiative


def _moderate(initiative, target: str) -> None:  # type: ignore[no-untyped-def]
    services.initiative_moderate(
        initiative_id=initiative.pk,
        actor=StaffFactory(role="moderator"),
        target=target,
        reason="Contenu illicite.",
    )
    events_drain()


def _opendata(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    response = client.get("/tableau-de-bord/donnees/initiatives.csv")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    [row] = list(csv.DictReader(io.StringIO(body.decode().lstrip("\ufeff"))))
    return row


PATHS = [
    pytest.param(lambda i: "/tableau-de-bord/", id="page"),
    pytest.param(lambda i: f"/api/v1/stats/initiatives/{i.pk}/", id="api summary"),
    pytest.param(lambda i: f"/api/v1/stats/initiatives/{i.pk}/signatures/", id="api series"),
    pytest.param(lambda i: "/api/v1/stats/initiatives/", id="api listing"),
]


@pytest.mark.parametrize("url_of", PATHS)
def test_the_dashboards_name_it_as_its_page_does(client, signed, url_of):
    url = url_of(signed)
    assert TITLE in client.get(url).content.decode()
    _moderate(signed, "unpublished")
    during = client.get(url).content.decode()
    assert TITLE not in during and LABEL in during
    _moderate(signed, "public")
    assert TITLE in client.get(url).content.decode()


def test_open_data_keeps_the_row_and_its_counts_without_title_or_summary(client, signed):
    assert _opendata(client)["title"] == TITLE
    _moderate(signed, "unpublished")
    row = _opendata(client)
    assert (row["id"], row["title"], row["summary"]) == (str(signed.pk), LABEL, "")
    counts = client.get("/tableau-de-bord/donnees/counts.csv")
    body = b"".join(counts.streaming_content) if counts.streaming else counts.content
    assert f"{signed.pk},-1,total,3," in body.decode()
    _moderate(signed, "public")
    assert _opendata(client)["summary"] == "Un résumé à retirer."
