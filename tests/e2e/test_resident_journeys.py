"""A resident's journeys on the civic core, in a real browser with JavaScript on."""

from __future__ import annotations

import re

from civic.models import User
from tests.e2e.pages import HOME, last_link, log_in, submit
from tests.e2e.world import PASSWORD

NEW_PASSWORD = "une-longue-phrase-de-passe-42"


def test_a_resident_signs_up_confirms_logs_in_verifies_and_reads_their_inbox(page, world):
    page.goto("/")
    page.get_by_role("link", name="Créer un compte").click()
    assert page.url.endswith("/accounts/signup/")
    page.locator("input[name=email]").fill("camille.martin@example.org")
    page.locator("input[name=password1]").fill(NEW_PASSWORD)
    page.locator("input[name=password2]").fill(NEW_PASSWORD)
    submit(page)
    page.wait_for_url(re.compile(r"/accounts/confirm-email/$"))
    user = User.objects.get(email="camille.martin@example.org")
    assert not user.emailaddress_set.get().verified  # type: ignore[attr-defined]

    # Logging in before confirming only re-sends the link.
    log_in(page, "camille.martin@example.org", NEW_PASSWORD)
    assert "/accounts/confirm-email/" in page.url

    page.goto(last_link("camille.martin@example.org", containing="/confirm-email/"))
    submit(page)
    page.wait_for_load_state()
    assert user.emailaddress_set.get().verified  # type: ignore[attr-defined]

    log_in(page, "camille.martin@example.org", NEW_PASSWORD)
    page.wait_for_url(HOME)
    nav = page.get_by_role("navigation", name="Navigation principale")
    nav.get_by_role("link", name="Vérifier mon compte").click()
    assert page.locator("h1").inner_text() == "Vérifier mon compte"
    page.get_by_label("Nom de naissance ou d'usage").fill("Martin")
    page.get_by_label("Prénoms (dans l'ordre de l'état civil)").fill("Camille")
    page.get_by_label("Date de naissance").fill("1984-03-27")
    page.get_by_label("Numéro d'électeur (facultatif)").fill("R-E2E-1")
    submit(page)
    page.wait_for_url(HOME)
    assert "Votre compte est vérifié" in page.get_by_role("status").inner_text()
    user.refresh_from_db()
    assert user.is_verified and user.register_entry_id == world.free_entry.pk
    assert nav.get_by_role("link", name="Vérifier mon compte").count() == 0

    nav.get_by_role("link", name="Mes messages").click()
    assert page.locator("h1").inner_text() == "Mes messages"


def test_a_wrong_identity_is_refused_with_an_announced_message_and_the_input_kept(
    new_context, world
):
    page = new_context(user=world.user("unverified")).new_page()
    page.goto("/me/verify/")
    page.get_by_label("Nom de naissance ou d'usage").fill("Martin")
    page.get_by_label("Prénoms (dans l'ordre de l'état civil)").fill("Camille")
    page.get_by_label("Date de naissance").fill("1990-01-01")
    page.get_by_label("Numéro d'électeur (facultatif)").fill("R-E2E-1")
    submit(page)
    page.wait_for_load_state()
    assert page.get_by_role("alert").count() == 1
    assert page.get_by_label("Nom de naissance ou d'usage").input_value() == "Martin"
    assert not User.objects.get(pk=world.user("unverified").pk).is_verified


def test_a_resident_reads_a_message_and_marks_it_read(new_context, world):
    page = new_context(user=world.user("resident")).new_page()
    page.goto("/me/inbox/")
    message = page.get_by_role("article")
    assert "Bienvenue" in message.inner_text()
    message.get_by_role("button", name="Marquer comme lu").click()
    page.wait_for_load_state()
    world.notification.refresh_from_db()
    assert world.notification.read_at is not None
    assert page.get_by_role("button", name="Marquer comme lu", exact=True).count() == 0


def test_a_resident_resets_a_forgotten_password_and_logs_in_with_the_new_one(page, world):
    resident = world.user("resident")
    page.goto("/accounts/login/")
    page.locator("main a[href='/accounts/password/reset/']").first.click()
    page.locator("input[name=email]").fill(resident.email)
    submit(page)
    page.wait_for_url(re.compile(r"/accounts/password/reset/done/$"))
    page.goto(last_link(resident.email, containing="/password/reset/key/"))
    page.wait_for_url(re.compile(r"/accounts/password/reset/key/.*set-password/$"))
    page.locator("input[name=password1]").fill(NEW_PASSWORD)
    page.locator("input[name=password2]").fill(NEW_PASSWORD)
    submit(page)
    # allauth shows its "done" page (or the login form, depending on its settings).
    page.wait_for_url(re.compile(r"/accounts/(password/reset/key/done|login)/$"))
    log_in(page, resident.email, NEW_PASSWORD)
    page.wait_for_url(HOME)
    assert page.get_by_role("link", name="Mes messages").count() == 1


def test_a_wrong_password_keeps_the_visitor_out(page, world):
    log_in(page, world.user("resident").email, PASSWORD + "!")
    assert "/accounts/login/" in page.url
    assert page.get_by_role("link", name="Mes messages").count() == 0


def test_the_language_switch_turns_the_site_to_english_and_back(page, world):
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "fr"
    page.get_by_role("navigation", name="Langue").get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"/en/$"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("link", name="Skip to content").count() == 1 or (
        page.locator(".skip-link").count() == 1
    )
    page.get_by_role("navigation", name="Language").get_by_role("link", name="français").click()
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))
    assert page.locator("html").get_attribute("lang") == "fr"


def test_a_resident_downloads_their_own_data_from_the_my_data_page(new_context, world):
    page = new_context(user=world.user("resident")).new_page()
    page.goto("/me/data/")
    # Readable summary lists, the JSON download beside them.
    assert world.user("resident").email in page.locator("main .summary-list").first.inner_text()
    assert world.user("other_resident").email not in page.content()
    with page.expect_download() as download:
        page.locator("main a[href='?format=json']").click()
    assert download.value.suggested_filename == "mes-donnees.json"
