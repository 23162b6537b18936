"""The pages of staff background jobs (civic/jobs.py) in a browser: an administrator's register
import, a moderator's paper import and export, each from its upload to its outcome; the job's page
has no WCAG 2.1 AA violation, lays out at phone widths (320 and 390 px) and its links are reached
from the keyboard. A running job's page never reloads itself: its script updates the bar and the
status in place, then links to the result; without JavaScript, an "Actualiser" link."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.utils import timezone

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


# The script's delay in these tests (REFRESH_SECONDS, read by the live server in this process):
# a quarter of a second, so that "nothing more happens" is shown by waiting a few delays, not
# seconds. What the tests wait for happening, they wait for as a condition, never a fixed time.
POLL_SECONDS = 0.25
# Long enough for several more polls, had the script not stopped.
SEVERAL_POLLS_MS = int(2.5 * POLL_SECONDS * 1000)


def _running_job(admin: Any, monkeypatch: Any) -> StaffJob:
    """A register import at 3 of 8, its task not sent (it stays running until the test moves it);
    the page's script polls every POLL_SECONDS."""
    monkeypatch.setattr("civic.progress.REFRESH_SECONDS", POLL_SECONDS)
    job = StaffJob.objects.create(
        kind="civic.register_import", actor=admin, filename="roll.csv", state="running", total=8
    )
    StaffJob.objects.filter(pk=job.pk).update(done=3)
    return job


def _page_loads(page: Any) -> list[str]:
    """Every document the page loads from now on (a reload or a navigation adds one)."""
    loads: list[str] = []
    page.on("request", lambda r: loads.append(r.url) if r.resource_type == "document" else None)
    return loads


def _fetches(page: Any) -> list[str]:
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if r.resource_type == "fetch" else None)
    return fetched


def test_a_running_job_is_followed_in_place_then_links_to_its_result(  # type: ignore[no-untyped-def]
    new_context, world: World, monkeypatch
):
    admin = world.user("administrator")
    job = _running_job(admin, monkeypatch)
    url = f"/staff/jobs/{job.pk}/"
    page = new_context(user=admin).new_page()
    page.goto(url)
    loads, fetches, address = _page_loads(page), _fetches(page), page.url
    page.evaluate("window.stillTheSamePage = true")
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
    assert page.locator('script[src$="job-progress.js"][defer]').count() == 1
    status, bar = page.get_by_role("status"), page.locator("progress")
    assert (bar.get_attribute("max"), bar.get_attribute("value")) == ("8", "3")
    assert "3 sur 8 (37 %)" in status.inner_text()
    refresh = page.get_by_role("link", name="Actualiser", exact=True)
    assert refresh.is_visible() and refresh.get_attribute("href") == url
    assert "sans recharger la page" in page.locator("[data-job-refresh]").inner_text()
    assert not page.get_by_role("link", name="Afficher le résultat").is_visible()
    # No exclusion: the page never reloads itself (axe's "meta-refresh" included).
    _checked(page, "running")
    _tab_to(page, url)

    StaffJob.objects.filter(pk=job.pk).update(done=6)
    page.wait_for_function("() => document.querySelector('progress').getAttribute('value') === '6'")
    assert "6 sur 8 (75 %)" in status.inner_text() and "En cours" in status.inner_text()
    assert status.get_attribute("aria-live") == "polite"
    assert page.evaluate("document.activeElement.getAttribute('href')") == url  # focus kept

    StaffJob.objects.filter(pk=job.pk).update(state="done", done=8, finished_at=timezone.now())
    result = page.get_by_role("link", name="Afficher le résultat")
    result.wait_for(state="visible")
    assert result.get_attribute("href") == url
    assert "Terminé" in status.inner_text() and "8 sur 8 (100 %)" in status.inner_text()
    assert bar.get_attribute("value") == "8"
    assert page.url == address and page.evaluate("window.stillTheSamePage") is True
    assert loads == []  # never reloaded nor navigated
    polls = len(fetches)
    assert polls >= 2 and all(f.split("#")[0] == address for f in fetches)
    page.wait_for_timeout(SEVERAL_POLLS_MS)
    assert len(fetches) == polls  # it stopped once the job was over
    _checked(page, "over in place")

    result.click()
    page.wait_for_load_state()
    assert page.evaluate("window.stillTheSamePage") is None
    assert page.locator("script").count() == 0
    assert page.get_by_role("link", name="Actualiser").count() == 0
    assert "Terminé le" in page.locator("main").inner_text()


def test_without_javascript_a_running_job_page_never_reloads_and_offers_the_link(  # type: ignore[no-untyped-def]
    new_context, world: World, monkeypatch
):
    admin = world.user("administrator")
    job = _running_job(admin, monkeypatch)
    url = f"/staff/jobs/{job.pk}/"
    page = new_context(user=admin, javascript=False).new_page()
    page.goto(url)
    loads = _page_loads(page)
    page.wait_for_timeout(SEVERAL_POLLS_MS)  # more than twice the script's delay: nothing happens
    assert loads == [] and page.locator('meta[http-equiv="refresh"]').count() == 0
    refresh = page.get_by_role("link", name="Actualiser", exact=True)
    assert refresh.is_visible() and refresh.get_attribute("href") == url
    words = page.locator("[data-job-refresh]").inner_text()
    assert "actualisez la page pour voir sa progression" in words
    assert not page.get_by_role("link", name="Afficher le résultat").is_visible()
    # (axe and the layout measure run in the page's JavaScript: the test above checks this markup.)
    StaffJob.objects.filter(pk=job.pk).update(done=5)
    refresh.click()
    page.wait_for_load_state()
    assert page.locator("progress").get_attribute("value") == "5"
    assert "5 sur 8 (62 %)" in page.get_by_role("status").inner_text()


def test_after_a_few_failed_fetches_the_page_stops_and_keeps_the_link(  # type: ignore[no-untyped-def]
    new_context, world: World, monkeypatch
):
    admin = world.user("administrator")
    job = _running_job(admin, monkeypatch)
    page = new_context(user=admin).new_page()
    failed: list[str] = []

    def fail(route: Any) -> None:
        if route.request.resource_type != "fetch":
            route.continue_()
            return
        failed.append(route.request.url)
        route.fulfill(status=503, body="busy")

    page.route(f"**/staff/jobs/{job.pk}/", fail)
    page.goto(f"/staff/jobs/{job.pk}/")
    words = page.locator("[data-job-refresh]")
    assert "sans recharger la page" in words.inner_text()  # it says it follows the job
    # Three tries a delay apart, then it says so, then nothing more.
    page.wait_for_function(
        "() => document.querySelector('[data-job-refresh]').textContent.includes('actualisez')"
    )
    assert len(failed) == 3
    page.wait_for_timeout(SEVERAL_POLLS_MS)
    assert len(failed) == 3
    assert "actualisez la page pour voir sa progression" in words.inner_text()
    assert page.get_by_role("link", name="Actualiser", exact=True).is_visible()
    assert "3 sur 8" in page.get_by_role("status").inner_text()
