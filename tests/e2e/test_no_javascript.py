"""The essential forms work with JavaScript turned off (java_script_enabled=False): sign-up, login,
verification, the inbox, the language switch, and the staff's register import and desk check."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from civic.models import RegisterEntry, User
from tests.e2e.pages import HOME, last_link, log_in, submit
from tests.e2e.world import PASSWORD

SAMPLE = Path(__file__).resolve().parents[2] / "civic" / "samples" / "register_sample.csv"
NEW_PASSWORD = "une-longue-phrase-de-passe-42"


@pytest.fixture
def nojs(new_context):  # type: ignore[no-untyped-def]
    def make(user=None):  # type: ignore[no-untyped-def]
        page = new_context(javascript=False, user=user).new_page()
        assert (
            page.evaluate("1") == 1
        )  # Playwright's own probe still runs; the page's scripts don't
        return page

    return make


def test_without_javascript_a_newcomer_signs_up_confirms_and_logs_in(nojs, world):
    page = nojs()
    page.goto("/accounts/signup/")
    page.locator("input[name=email]").fill("sans.js@example.org")
    page.locator("input[name=password1]").fill(NEW_PASSWORD)
    page.locator("input[name=password2]").fill(NEW_PASSWORD)
    submit(page)
    page.wait_for_url(re.compile(r"/accounts/confirm-email/$"))
    page.goto(last_link("sans.js@example.org", containing="/confirm-email/"))
    submit(page)
    page.wait_for_load_state()
    log_in(page, "sans.js@example.org", NEW_PASSWORD)
    page.wait_for_url(HOME)
    assert page.get_by_role("link", name="Mes messages").count() == 1


def test_without_javascript_a_resident_verifies_their_account(nojs, world):
    page = nojs(world.user("unverified"))
    page.goto("/me/verify/")
    page.get_by_label("Nom de naissance ou d'usage").fill("Martin")
    page.get_by_label("Prénoms (dans l'ordre de l'état civil)").fill("Camille")
    page.get_by_label("Date de naissance").fill("27/03/1984")
    page.get_by_label("Numéro d'électeur (facultatif)").fill("R-E2E-1")
    submit(page)
    page.wait_for_url(HOME)
    assert User.objects.get(pk=world.user("unverified").pk).is_verified


def test_without_javascript_an_incomplete_verification_is_refused_by_the_server(nojs, world):
    page = nojs(world.user("unverified"))
    page.goto("/me/verify/")
    page.get_by_label("Nom de naissance ou d'usage").fill("Martin")
    submit(page)
    page.wait_for_load_state()
    assert "/me/verify/" in page.url
    assert page.locator(".error, [role=alert]").count() >= 1
    assert not User.objects.get(pk=world.user("unverified").pk).is_verified


def test_without_javascript_the_inbox_marks_a_message_read(nojs, world):
    page = nojs(world.user("resident"))
    page.goto("/me/inbox/")
    page.get_by_role("button", name="Marquer comme lu", exact=True).click()
    page.wait_for_load_state()
    world.notification.refresh_from_db()
    assert world.notification.read_at is not None


def test_without_javascript_the_language_switch_works(nojs, world):
    page = nojs()
    page.goto("/initiatives/")
    page.locator(".lang-switch a[hreflang=en]").click()
    page.wait_for_url(re.compile(r"/en/initiatives/$"))
    assert page.locator("html").get_attribute("lang") == "en"


def test_without_javascript_an_administrator_imports_the_register(nojs, world):
    page = nojs()
    log_in(page, world.user("administrator").email, PASSWORD)
    page.wait_for_url(HOME)
    before = RegisterEntry.objects.count()
    page.goto("/staff/register/import/")
    page.get_by_label("Fichier CSV (UTF-8)").set_input_files(str(SAMPLE))
    page.get_by_label("Confirmer les radiations, même nombreuses").check()
    page.get_by_role("button", name="Importer").click()
    page.wait_for_load_state()  # the job's page (the task ran on commit, eagerly in tests)
    assert RegisterEntry.objects.count() > before
    assert "/staff/jobs/" in page.url and page.locator("progress").count() == 1
    assert "Rapport d'import" in page.locator("main").inner_text()


def test_without_javascript_a_moderator_verifies_at_the_desk(nojs, world):
    page = nojs(world.user("moderator"))
    page.goto("/staff/verify/")
    page.get_by_label("E-mail du compte").fill(world.user("unverified").email)
    page.get_by_label("Référence de l'inscription au registre").fill(world.free_entry.ref)
    submit(page)
    page.wait_for_load_state()
    assert User.objects.get(pk=world.user("unverified").pk).is_verified


def test_pages_carry_no_script_they_would_need(nojs, world):
    """The core and instrument pages ship no <script> at all: nothing essential can depend on
    one (signing and voting without JavaScript: tests/e2e/test_instrument_journeys.py)."""
    seeded = world.instruments
    page = nojs(world.user("resident"))
    for path in (
        "/",
        "/accounts/login/",
        "/me/verify/",
        "/me/inbox/",
        "/me/data/",
        "/initiatives/new/instrument/",
        "/referendums/polling-stations/?q=Carnot",
        f"/initiatives/{seeded.initiative.pk}/",
        "/initiatives/my-signatures/",
        f"/referendums/{seeded.open_vote.pk}/vote/",
        f"/referendums/{seeded.published_vote.pk}/receipt/",
        f"/referendums/{seeded.published_vote.pk}/results/",
        f"/assembly/{seeded.mandate.pk}/",
    ):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        assert page.locator("script").count() == 0, path
