"""The design system's settings and pages: the city's colours (contrast checked, served as a
versioned style sheet), the /design/ page, the home page's actions and its bounded query count."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from assembly.models import SessionStatus
from civic.theme import check_theme, contrast_ratio, theme_css
from civic.views import DESIGN_COMPONENTS
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db

THEME_LINK = re.compile(r'<link rel="stylesheet" href="(/theme\.css\?v=[0-9a-f]+)">')


def test_contrast_ratio_follows_wcag():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio("#00437a", "#ffffff") > 4.5


def test_the_default_colours_pass_the_check():
    assert check_theme() == []


def test_a_pale_or_malformed_colour_fails_the_check(settings):
    settings.CITY_COLOURS = {"primary": "#7a9cc6", "secondary": "red;}body{x:y"}
    assert [error.id for error in check_theme()] == ["civic.E101", "civic.E100"]


def test_the_city_colours_reach_the_page_through_a_versioned_style_sheet(client, settings):
    html = client.get("/").content.decode()
    (before,) = THEME_LINK.findall(html)
    settings.CITY_COLOURS = {"primary": "#5a1e6b", "secondary": "#1e4b6b"}
    html = client.get("/").content.decode()
    (after,) = THEME_LINK.findall(html)
    assert after != before  # a new colour is a new URL: no stale copy in a cache
    sheet = client.get(after)
    assert sheet["Content-Type"].startswith("text/css")
    assert sheet.content.decode() == theme_css() and "--brand:#5a1e6b" in theme_css()
    assert "immutable" in sheet["Cache-Control"]


def test_the_city_font_and_its_files_reach_the_page_through_the_theme(client, settings):
    default = client.get(THEME_LINK.findall(client.get("/").content.decode())[0]).content.decode()
    assert "--font" not in default and "@font-face" not in default  # site.css's system fonts
    settings.CITY_FONT = 'Luciole, "Noto Sans", sans-serif'
    settings.CITY_FONT_FILES = ["civic/fonts/luciole.woff2", "civic/fonts/luciole-bold.woff2:700"]
    (link,) = THEME_LINK.findall(client.get("/").content.decode())
    sheet = client.get(link).content.decode()
    assert ';--font:Luciole, "Noto Sans", sans-serif}' in sheet
    assert (
        "@font-face{font-family:Luciole;src:url('/static/civic/fonts/luciole-bold.woff2') "
        "format('woff2');font-weight:700;font-style:normal;font-display:swap}"
    ) in sheet
    assert sheet.count("@font-face") == 2


def test_a_font_setting_that_could_break_out_of_the_style_sheet_fails_the_check(client, settings):
    settings.CITY_FONT = "x}body{display:none"
    settings.CITY_FONT_FILES = ["civic/fonts/a.ttf", "civic/fonts/missing.woff2:700"]
    assert [error.id for error in check_theme()] == ["civic.E103", "civic.E104", "civic.E104"]
    (link,) = THEME_LINK.findall(client.get("/").content.decode())
    sheet = client.get(link).content.decode()
    assert "display:none" not in sheet and "@font-face" not in sheet


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_design_page_renders_every_component(client, language):
    with translation.override(language):  # the page's language is in its address
        url = reverse("design")
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200 and f'<html lang="{language}">' in html
    for slug, _title in DESIGN_COMPONENTS:
        assert f'id="{slug}"' in html
    assert html.count('class="specimen"') == len(DESIGN_COMPONENTS)
    # Each component's markup is shown as code too, escaped.
    assert "&lt;nav class=&quot;breadcrumbs&quot;" in html


def test_the_home_page_leads_with_the_three_actions(client):
    html = client.get("/").content.decode()
    assert f'href="{reverse("petitions:create")}"' in html
    assert "Lancer une initiative" in html and "Signer une initiative" in html
    # Each card is one link (the whole card clickable through it).
    for card in re.findall(r'<li class="card card-link[^"]*">(.*?)</li>', html, re.S):
        assert card.count("<a ") == 1


def test_the_footer_links_the_legal_pages(client):
    html = client.get("/").content.decode()
    footer = html[html.index('<footer class="site-footer">') :]
    assert f'<a href="{reverse("legal-notice")}">Mentions légales</a>' in footer
    assert f'href="{reverse("design")}"' in footer


def test_the_home_query_count_does_not_grow_with_what_is_open(client, django_assert_num_queries):
    call_command("seed_demo", entries=200, residents=12, stdout=StringIO())
    html = client.get("/").content.decode()
    assert html.count('class="card card-link"') >= 6  # open items shown as cards
    # One capped query per instrument's section (the assembly's: its mandate, then its sessions).
    with django_assert_num_queries(4):
        client.get("/")
    client.force_login(ResidentFactory())
    client.get("/")
    with django_assert_num_queries(5):  # and the user (the session comes from the cache)
        client.get("/")


def test_a_closed_session_reads_closed_not_close():
    with translation.override("fr"):
        assert str(SessionStatus.CLOSED.label) == "Clôturée"
    with translation.override("en"):
        assert str(SessionStatus.CLOSED.label) == "Closed"
