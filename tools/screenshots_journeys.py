"""The gallery's pages no link reaches (tools/screenshots_shoot.py): a form's answer, a step of a
journey, a page of an object made on the way. Each journey drives the browser as its role would and
hands each page to `take(path)`, which shoots it at once (a guided step is shown only while the
session holds the earlier answers). Nothing here needs a provider: the identity provider's outcome
pages answer only at its callback (404 while OpenID Connect is off, as in the demo), so they are
not shot."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
REGISTER_SAMPLE = ROOT / "civic" / "samples" / "register_sample.csv"
# A paper batch whose only line matches no register entry: its job reports a rejected line and
# changes no count.
PAPER_BATCH = b"register_ref,sheet_ref\nNOPE,F1-L1\n"
GUIDED_TEXT = {
    "title": "Une fontaine place Carnot",
    "summary": "De l'eau potable pour tous, au cœur du centre-ville.",
    "body": "Nous demandons l'installation d'une fontaine d'eau potable place Carnot.",
}
PASSWORD = "demo-civic-2026"  # noqa: S105 - the demo's published password (README)
CO_INITIATOR = "resident-0071@example.org"  # a demo resident (civic.demo.resident_email)

Take = Callable[[str], None]


def path_of(page: Any) -> str:
    return urlsplit(page.url).path


def _submit(page: Any) -> None:
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state()


def second_factor(page: Any, take: Take) -> None:
    """The second factor's overview and its enrolment (a TOTP app, after the password is asked
    again), as the signed-in role sees them; a staff account has enrolled already, so its
    enrolment page is the resident's."""
    take("/accounts/2fa/")
    page.goto("/accounts/2fa/totp/activate/")
    if path_of(page) == "/accounts/reauthenticate/":
        take("/accounts/reauthenticate/")
        page.locator("main input[name=password]").fill(PASSWORD)
        _submit(page)
    take("/accounts/2fa/totp/activate/")


def guided_creation(page: Any, take: Take) -> None:
    """Steps 2 to 5 of the guided creation, each answered with its form as a resident would: the
    last creates a draft initiative (the next free id; the moderator's crawl then reaches it too)."""
    page.goto("/initiatives/new/instrument/")
    goals = page.locator("main form input[name=goal]")
    if goals.count() == 0:
        return
    both = page.locator("main form input[name=goal][value=both]")
    (both if both.count() else goals).first.check()
    _submit(page)
    take("/initiatives/new/text/")
    for name, value in GUIDED_TEXT.items():
        page.locator(f"main form [name={name}]").fill(value)
    _submit(page)
    take("/initiatives/new/co-initiators/")
    page.locator("textarea[name=emails]").fill(CO_INITIATOR)
    _submit(page)
    take("/initiatives/new/preview/")
    _submit(page)
    take("/initiatives/new/next/")


def desk_close(page: Any, take: Take) -> None:
    """The desk's page for closing a request without verifying (the demo's newcomer waits)."""
    page.goto("/staff/verify/")
    link = page.locator("main a[href$='/close/']")
    if link.count():
        take(urlsplit(link.first.get_attribute("href") or "").path)


def paper_import_job(page: Any, take: Take) -> None:
    """A paper import of the first initiative, then its job's page."""
    page.goto("/initiatives/1/paper/import/")
    if path_of(page) != "/initiatives/1/paper/import/":
        return
    take("/initiatives/1/paper/import/")
    page.locator("main input[type=file]").set_input_files(
        {"name": "lot.csv", "mimeType": "text/csv", "buffer": PAPER_BATCH}
    )
    _submit(page)
    if path_of(page).startswith("/staff/jobs/"):
        take(path_of(page))


def export_job(page: Any, take: Take) -> None:
    """An export of the first initiative's figures (the form's default), then its job's page."""
    page.goto("/tableau-de-bord/staff/exports/initiative/1/")
    if page.locator("main form [type=submit]").count() == 0:
        return
    _submit(page)
    if path_of(page).startswith("/staff/jobs/"):
        take(path_of(page))


def register_import_job(page: Any, take: Take) -> None:
    """A register import of the sample file, radiations not confirmed: the job refuses to strike
    off the demo's register and says so (the demo is left as it was)."""
    page.goto("/staff/register/import/")
    page.locator("main input[type=file]").set_input_files(str(REGISTER_SAMPLE))
    _submit(page)
    if path_of(page).startswith("/staff/jobs/"):
        take(path_of(page))


# Per role, after its crawl. The code step at login is shot by the login itself (the moderator's).
JOURNEYS: dict[str, tuple[Callable[[Any, Take], None], ...]] = {
    "resident": (second_factor, guided_creation),
    "moderator": (second_factor, desk_close, paper_import_job, export_job),
    "admin": (register_import_job,),
}
