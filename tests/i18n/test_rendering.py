"""With English chosen, the public pages show no French from the base template."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from civic.models import User
from tests.languages import EnglishClient

PAGES = ("/", "/initiatives/", "/referendums/", "/assembly/")

# French strings of base.html (header, navigation, footer) and their English translations.
BASE_FRENCH = (
    "Aller au contenu",
    "Navigation principale",
    "Participation citoyenne",
    "Assemblée citoyenne",
    "Référendums",
    "Se connecter",
    "Créer un compte",
    "Langue",
    "Changer",
    "Boîte à outils de démocratie participative",
    "API ouverte",
)
BASE_ENGLISH = (
    "Skip to content",
    "Main navigation",
    "Civic participation",
    "Citizens' assembly",
    "Referendums",
    "Sign in",
    "Create an account",
    "Language",
    "Participatory democracy toolkit, free software.",
    "Open API",
)
SIGNED_IN_FRENCH = ("Mes messages", "Se déconnecter")
SIGNED_IN_ENGLISH = ("My messages", "Sign out")


@pytest.fixture(autouse=True)
def _restore_language() -> Iterator[None]:
    yield
    translation.activate(settings.LANGUAGE_CODE)


def english_client() -> Client:
    return EnglishClient()


@pytest.mark.django_db
@pytest.mark.parametrize("url", PAGES)
def test_a_page_in_english_has_no_french_left_from_the_base_template(url: str) -> None:
    response = english_client().get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    for french in BASE_FRENCH:
        assert french not in html, f"{url}: French left in English: {french!r}"
    for english in BASE_ENGLISH:
        assert english in html, f"{url}: missing {english!r}"


@pytest.mark.django_db
@pytest.mark.parametrize("url", PAGES)
def test_a_signed_in_resident_reads_the_navigation_in_english(url: str, resident: User) -> None:
    client = english_client()
    client.force_login(resident)
    html = client.get(url).content.decode()
    for french in SIGNED_IN_FRENCH:
        assert french not in html, f"{url}: French left in English: {french!r}"
    for english in SIGNED_IN_ENGLISH:
        assert english in html, f"{url}: missing {english!r}"


@pytest.mark.django_db
def test_the_home_page_body_is_english_too() -> None:
    html = english_client().get("/").content.decode()
    assert "Local initiative right" in html
    assert "Droit d&#x27;initiative locale" not in html and "Droit d'initiative locale" not in html


@pytest.mark.django_db
def test_french_stays_the_default_language() -> None:
    """The check above can fail: without the English choice, the same page is French."""
    html = Client().get("/").content.decode()
    assert '<html lang="fr">' in html
    assert "Aller au contenu" in html
    assert "Skip to content" not in html


@pytest.mark.django_db
def test_the_language_is_the_addresss_not_the_browsers() -> None:
    """A page's bytes depend on its address alone (a shared cache keys it by URL): the French
    address stays French for an English browser, which the page links to the English one."""
    english_browser = Client(HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    response = english_browser.get("/assembly/")
    html = response.content.decode()
    assert "Aller au contenu" in html and "Skip to content" not in html
    assert "Accept-Language" not in response.get("Vary", "")
    assert 'href="/en/assembly/" hreflang="en"' in html
    english = english_browser.get("/en/assembly/").content.decode()
    assert "Skip to content" in english and "Aller au contenu" not in english
    assert 'href="/assembly/" hreflang="fr"' in english


@pytest.mark.django_db
def test_the_api_still_answers_in_the_language_the_client_asks() -> None:
    response = Client().get("/api/v1/initiatives/999999999/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response.json()["detail"] == "Initiative not found."
    assert "Accept-Language" in response["Vary"]
