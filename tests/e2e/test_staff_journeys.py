"""Staff journeys on the civic core: log in, import the register, verify a resident at the desk."""

from __future__ import annotations

import re
from pathlib import Path

from civic.models import RegisterEntry, User
from tests.e2e.pages import HOME, log_in, submit
from tests.e2e.world import PASSWORD

SAMPLE = Path(__file__).resolve().parents[2] / "civic" / "samples" / "register_sample.csv"


def test_an_administrator_logs_in_and_imports_a_register_csv(page, world):
    before = RegisterEntry.objects.count()
    log_in(page, world.user("administrator").email, PASSWORD)
    page.wait_for_url(HOME)
    page.get_by_role("link", name="Espace agents").click()
    page.get_by_role(
        "link", name="Importer la liste électorale ou le registre des résidents"
    ).click()
    page.get_by_label("Fichier CSV (UTF-8)").set_input_files(str(SAMPLE))
    page.get_by_role("button", name="Importer").click()
    page.wait_for_load_state()  # the job's page: the job ran on commit (eagerly in tests)
    # The sample leaves out the world's own entries: striking them all off needs a confirmation.
    assert "confirmez les radiations" in page.get_by_role("alert").inner_text()
    assert RegisterEntry.objects.count() == before
    page.get_by_role("link", name="Retour à la page de l'action").click()
    page.get_by_label("Fichier CSV (UTF-8)").set_input_files(str(SAMPLE))
    page.get_by_label("Confirmer les radiations, même nombreuses").check()
    page.get_by_role("button", name="Importer").click()
    page.wait_for_load_state()
    report = page.locator("section[aria-labelledby=report-title]")
    assert "Rapport d'import" in report.inner_text()
    created = RegisterEntry.objects.count() - before
    assert created > 0
    assert str(created) in report.get_by_role("row", name=re.compile("Créées")).inner_text()

    # The same file again changes nothing: the report says so.
    page.get_by_role("link", name="Retour à la page de l'action").click()
    page.get_by_label("Fichier CSV (UTF-8)").set_input_files(str(SAMPLE))
    page.get_by_role("button", name="Importer").click()
    page.wait_for_load_state()
    assert RegisterEntry.objects.count() - before == created
    assert "0" in page.get_by_role("row", name=re.compile("Créées")).inner_text()


def test_a_moderator_verifies_a_resident_at_the_desk(new_context, world):
    page = new_context(user=world.user("moderator")).new_page()
    page.goto("/staff/verify/")
    page.get_by_label("E-mail du compte").fill(world.user("unverified").email)
    page.get_by_label("Référence de l'inscription au registre").fill(world.free_entry.ref)
    submit(page)
    page.wait_for_load_state()
    assert "Compte vérifié au guichet" in page.get_by_role("status").inner_text()
    assert User.objects.get(pk=world.user("unverified").pk).is_verified


def test_a_resident_cannot_open_the_register_import(new_context, world):
    page = new_context(user=world.user("resident")).new_page()
    response = page.goto("/staff/register/import/")
    assert response is not None and response.status == 403
    assert page.get_by_label("Fichier CSV (UTF-8)").count() == 0


def test_a_moderator_cannot_import_the_register(new_context, world):
    page = new_context(user=world.user("moderator")).new_page()
    response = page.goto("/staff/register/import/")
    assert response is not None and response.status == 403


def test_the_admin_login_page_opens_and_refuses_a_resident(page, world):
    page.goto("/admin/login/")
    page.locator("input[name=username]").fill(world.user("resident").email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.wait_for_load_state()
    assert "/admin/login/" in page.url
    assert page.locator(".errornote").count() == 1
