"""The legal pages: present in French and English, public and cacheable, filled from the legal
settings the administrator edits (through the audited service), the accessibility status in every
page's footer, the privacy notice linked where data are collected."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from civic.errors import PermissionDenied
from civic.legal.services import legal_settings_update
from civic.models import AuditEntry, LegalSettings
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db
PAGES = {
    "/mentions-legales/": "Mentions légales",
    "/donnees-personnelles/": "Données personnelles",
    "/accessibilite/": "Déclaration d'accessibilité",
    "/conditions-utilisation/": "Conditions d'utilisation",
    "/cookies/": "Cookies",
}
PAGES_EN = {
    "/en/mentions-legales/": "Legal notice",
    "/en/donnees-personnelles/": "Personal data",
    "/en/accessibilite/": "Accessibility statement",
    "/en/conditions-utilisation/": "Terms of use",
    "/en/cookies/": "Cookies",
}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.mark.parametrize("url,title", [*PAGES.items(), *PAGES_EN.items()])
def test_each_legal_page_exists_in_both_languages_and_is_public(client, url, title):
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert f"<h1>{title}</h1>" in body
    assert response["Cache-Control"].startswith("public")


def test_every_page_footer_links_the_legal_pages_and_shows_the_accessibility_status(client):
    body = client.get("/initiatives/").content.decode()
    for url in PAGES:
        assert f'href="{url}"' in body
    assert "Accessibilité : non conforme" in body
    english = client.get("/en/initiatives/").content.decode()
    assert "Accessibility: non-compliant" in english and 'href="/en/cookies/"' in english


def test_the_administrator_fills_the_pages_through_the_audited_service(client):
    admin = StaffFactory(role="administrator")
    legal_settings_update(
        actor=admin,
        changes={
            "director": "Marie Curie, maire",
            "dpo_contact": "dpo@ville.example.org",
            "accessibility_status": "partial",
            "non_conformities": "Les cartes des quartiers n'ont pas d'alternative textuelle.",
        },
    )
    assert AuditEntry.objects.filter(verb="legal.settings_updated").count() == 1
    assert "Marie Curie, maire" in client.get("/mentions-legales/").content.decode()
    assert "dpo@ville.example.org" in client.get("/donnees-personnelles/").content.decode()
    statement = client.get("/accessibilite/").content.decode()
    assert "partiellement conforme" in statement and "cartes des quartiers" in statement
    assert "Accessibilité : partiellement conforme" in client.get("/").content.decode()


def test_only_an_administrator_edits_the_legal_pages():
    with pytest.raises(PermissionDenied):
        legal_settings_update(actor=StaffFactory(role="moderator"), changes={"director": "x"})
    assert not LegalSettings.objects.exists()


def test_the_admin_screen_saves_through_the_service(client):
    client.force_login(StaffFactory(role="administrator"))
    response = client.post(
        "/admin/civic/legalsettings/add/",
        {"accessibility_status": "full", "audit_version": "RGAA 4.1", "host": "OVH SAS"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert LegalSettings.objects.get().host == "OVH SAS"
    assert AuditEntry.objects.filter(verb="legal.settings_updated").exists()
    assert "Accessibilité : totalement conforme" in client.get("/").content.decode()


def test_the_privacy_notice_is_linked_at_the_point_of_collection(client):
    assert 'href="/donnees-personnelles/"' in client.get("/accounts/signup/").content.decode()
    privacy_include = "privacy-notice"
    assert privacy_include in client.get("/accounts/signup/").content.decode()
    assert privacy_include not in client.get("/accounts/login/").content.decode()
