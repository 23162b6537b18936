"""Share cards and their meta tags: a shared link shows the page's title, description and card;
the card shows public facts only and draws French text."""

from __future__ import annotations

import io
import re

import pytest
from django.utils import timezone
from PIL import Image, ImageDraw

from civic.http_cache import page_memo_forget
from civic.share import _font, _wrap
from petitions.views.share import _lines
from referendums.models import Campaign, CampaignStatus
from tests.dashboards.factories import sign, tick
from tests.factories import StaffFactory
from tests.petitions.factories import InitiativeFactory
from tests.referendums.factories import CampaignFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_page_memo():  # type: ignore[no-untyped-def]
    page_memo_forget()
    yield
    page_memo_forget()


def _meta(html: str) -> dict[str, str]:
    return dict(re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)">', html))


def _png(response, *, public: bool = True) -> Image.Image:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"].startswith("public" if public else "private")
    return Image.open(io.BytesIO(response.content))


def test_a_published_initiative_page_names_its_card_with_absolute_addresses(client):
    initiative = InitiativeFactory(collecting=True, title="Des arbres rue Haute")
    meta = _meta(client.get(f"/initiatives/{initiative.pk}/").content.decode())
    assert meta["og:title"] == "Des arbres rue Haute"
    assert meta["og:url"] == f"http://testserver/initiatives/{initiative.pk}/"
    assert meta["og:image"] == f"http://testserver/initiatives/{initiative.pk}/partage.png"
    assert meta["twitter:card"] == "summary_large_image"
    assert meta["og:locale"] == "fr_FR"
    card = _png(client.get(f"/initiatives/{initiative.pk}/partage.png"))
    assert card.size == (1200, 630)


def test_a_draft_has_no_card_even_for_its_initiator(client):
    draft = InitiativeFactory(title="Brouillon")
    client.force_login(draft.initiator)
    page = client.get(f"/initiatives/{draft.pk}/").content.decode()
    assert "og:image" not in page
    assert client.get(f"/initiatives/{draft.pk}/partage.png").status_code == 404


def test_the_card_shows_the_published_count_and_the_closing_date(client):
    initiative = InitiativeFactory(collecting=True)
    sign(initiative, 3)
    tick()
    lines = _lines(initiative)
    assert lines[0] == "3 signatures"
    assert lines[1].startswith("Signatures ouvertes jusqu'au ")


def test_no_results_card_before_the_results_are_published_even_for_staff(client):
    campaign = CampaignFactory(status=CampaignStatus.VOTING)
    client.force_login(StaffFactory(role="campaign_manager"))
    assert client.get(f"/referendums/{campaign.pk}/results/partage.png").status_code == 404
    meta = _meta(client.get(f"/referendums/{campaign.pk}/").content.decode())
    assert meta["og:image"].endswith(f"/referendums/{campaign.pk}/partage.png")
    _png(client.get(f"/referendums/{campaign.pk}/partage.png"), public=False)  # signed in


def test_published_results_have_their_own_card_and_tags(client):
    campaign = CampaignFactory(status=CampaignStatus.SCHEDULED, title_fr="Budget participatif")
    Campaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.RESULTS_PUBLISHED,
        closed_at=timezone.now(),
        published_at=timezone.now(),
        results={
            "method": "online",
            "participations": 10,
            "electorate": 100,
            "turnout_percent": 10.0,
            "questions": [
                {
                    "id": 1,
                    "text_fr": "Faut-il le faire ?",
                    "options": [
                        {"key": "yes", "label_fr": "Oui", "count": 7},
                        {"key": "no", "label_fr": "Non", "count": 3},
                    ],
                }
            ],
        },
    )
    meta = _meta(client.get(f"/referendums/{campaign.pk}/results/").content.decode())
    assert meta["og:title"] == "Résultats : Budget participatif"
    assert meta["og:image"].endswith(f"/referendums/{campaign.pk}/results/partage.png")
    assert _png(client.get(f"/referendums/{campaign.pk}/results/partage.png")).size == (1200, 630)


def test_english_pages_share_english_addresses(client):
    initiative = InitiativeFactory(collecting=True)
    meta = _meta(client.get(f"/en/initiatives/{initiative.pk}/").content.decode())
    assert meta["og:locale"] == "en_GB"
    assert meta["og:image"] == f"http://testserver/en/initiatives/{initiative.pk}/partage.png"


@pytest.mark.parametrize("bold", [False, True])
def test_the_card_font_draws_every_french_letter(bold):
    font = _font(40, bold=bold)

    def drawn(text: str) -> bytes:
        image = Image.new("L", (64, 64))
        ImageDraw.Draw(image).text((4, 4), text, font=font, fill=255)
        return image.tobytes()

    missing = drawn("\u4e00")  # a character the font does not carry: its empty box
    for letter in "àâäçéèêëîïôöùûüÿœæÀÂÇÉÈÊËÎÏÔÙÛÜŸŒÆ«»\u2019€\u2013—…":
        assert drawn(letter) != missing, letter


def test_a_long_title_wraps_to_three_lines_ending_with_an_ellipsis():
    font = _font(58, bold=True)
    lines = _wrap("mot " * 80, font, 1056, 3)
    assert len(lines) == 3 and lines[-1].endswith(" …")
    assert all(font.getlength(line) <= 1056 for line in lines)
    assert _wrap("Court", font, 1056, 3) == ["Court"]
