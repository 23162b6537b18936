"""Staff exports prepared by a background job, beside the direct download: the page records the
job, its page follows the rows written and then offers the file, which is the direct download's
file (small-cell rule included), private to the roles that may download that export and scope."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from civic.models import AuditEntry, JobState, StaffJob
from dashboards import export_jobs
from dashboards.tasks import run_staff_export
from tests.dashboards.test_staff_exports import petition  # noqa: F401 - the fixture
from tests.factories import ResidentFactory, StaffFactory
from tests.job_pages import assert_followed_while_running, assert_not_followed_once_over

pytestmark = pytest.mark.django_db


def browser(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def prepare(client: Client, initiative_id: int, **fields):  # type: ignore[no-untyped-def]
    return client.post(
        f"/tableau-de-bord/staff/exports/initiative/{initiative_id}/jobs/",
        {"export": "signatures-par-quartier", "format": "csv", "scope": "internal", **fields},
    )


def direct(client: Client, initiative_id: int, **params) -> bytes:  # type: ignore[no-untyped-def]
    url = f"/tableau-de-bord/staff/exports/initiative/{initiative_id}/signatures-par-quartier/"
    return b"".join(client.get(url, params).streaming_content)


def test_a_prepared_export_is_followed_on_its_page_then_offered_as_the_direct_file(petition):  # noqa: F811
    initiative, _batch, moderator = petition
    client = browser(moderator)
    form = client.get(f"/tableau-de-bord/staff/exports/initiative/{initiative.pk}/")
    assert 'action="/tableau-de-bord/staff/exports/initiative/' in form.content.decode()
    answer = prepare(client, initiative.pk)
    job = StaffJob.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/staff/jobs/{job.pk}/"
    assert (job.kind, job.scope_id, job.params["scope"]) == (
        "dashboards.staff_export",
        initiative.pk,
        "internal",
    )
    waiting = client.get(answer["Location"]).content.decode()
    assert_followed_while_running(waiting, answer["Location"])
    assert "<progress" in waiting
    assert "Fichier prêt" not in waiting
    assert client.get(f"/staff/jobs/{job.pk}/file/").status_code == 404  # not written yet

    rows = run_staff_export(job.pk)

    job.refresh_from_db()
    assert job.state == JobState.DONE and job.done == job.total == rows > 0
    page = client.get(answer["Location"]).content.decode()
    assert_not_followed_once_over(page, answer["Location"])
    assert "Fichier prêt" in page
    assert f'href="/staff/jobs/{job.pk}/file/"' in page
    assert f'href="/tableau-de-bord/staff/exports/initiative/{initiative.pk}/"' in page
    download = client.get(f"/staff/jobs/{job.pk}/file/")
    assert download.status_code == 200 and download["Cache-Control"] == "private, no-store"
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in download["Content-Disposition"]
    assert download.content == direct(client, initiative.pk, scope="internal")
    table = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert [(r["district"], r["signatures"]) for r in table][:3] == [
        ("A", "25"),
        ("B", "3"),
        ("C", "12"),
    ]
    entry = AuditEntry.objects.get(verb="staff_job.file_downloaded")
    assert entry.actor == moderator
    listing = client.get(f"/tableau-de-bord/staff/exports/initiative/{initiative.pk}/")
    assert f'href="/staff/jobs/{job.pk}/"' in listing.content.decode()


def test_the_public_scope_keeps_the_small_cell_rule_in_xlsx(petition):  # noqa: F811
    initiative, _batch, moderator = petition
    client = browser(moderator)
    prepare(client, initiative.pk, format="xlsx", scope="public")
    job = StaffJob.objects.get()
    run_staff_export(job.pk)
    download = client.get(f"/staff/jobs/{job.pk}/file/")
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(download.content), read_only=True).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    by_code = {row[0]: row for row in values[1:]}
    assert by_code["A"][2] == 25 and by_code["B"][2] is None and by_code["C"][2] is None
    assert values[0][-1] == "suppressed"


def test_the_progress_moves_as_the_rows_are_written(petition, monkeypatch):  # noqa: F811
    initiative, _batch, moderator = petition
    monkeypatch.setattr(export_jobs, "CHUNK", 2)
    prepare(browser(moderator), initiative.pk)
    job = StaffJob.objects.get()
    seen: list[int] = []
    advance = export_jobs.job_advance

    def watched(j, steps, **kwargs):  # type: ignore[no-untyped-def]
        advance(j, steps, **kwargs)
        seen.append(StaffJob.objects.get(pk=j.pk).done)

    monkeypatch.setattr(export_jobs, "job_advance", watched)
    total = run_staff_export(job.pk)
    assert seen == [*range(2, total + 1, 2), *([total] if total % 2 else [])]


def test_a_redelivered_task_changes_nothing_once_the_file_is_written(petition):  # noqa: F811
    initiative, _batch, moderator = petition
    prepare(browser(moderator), initiative.pk)
    job = StaffJob.objects.get()
    assert run_staff_export(job.pk) > 0
    first = bytes(StaffJob.objects.get(pk=job.pk).output)
    assert run_staff_export(job.pk) == 0
    assert bytes(StaffJob.objects.get(pk=job.pk).output) == first
    assert AuditEntry.objects.filter(verb="staff_job.done").count() == 1


def test_a_bad_format_or_scope_is_a_400_and_records_no_job(petition):  # noqa: F811
    initiative, _batch, moderator = petition
    client = browser(moderator)
    bad_format = prepare(client, initiative.pk, format="pdf")
    assert bad_format.status_code == 400 and "csv ou xlsx" in bad_format.content.decode()
    assert prepare(client, initiative.pk, scope="everything").status_code == 400
    assert prepare(client, initiative.pk, export="nope").status_code == 404
    assert StaffJob.objects.count() == 0


def test_a_job_and_its_file_are_for_the_roles_of_that_export_and_scope(petition):  # noqa: F811
    initiative, _batch, moderator = petition
    prepare(browser(moderator), initiative.pk)  # internal: moderators only
    internal = StaffJob.objects.get()
    run_staff_export(internal.pk)
    auditor = browser(StaffFactory(role="auditor"))
    for path in ("", "status.json", "file/"):
        assert auditor.get(f"/staff/jobs/{internal.pk}/{path}").status_code == 404
    assert prepare(auditor, initiative.pk).status_code == 404  # no internal scope for them
    assert prepare(auditor, initiative.pk, scope="public").status_code == 302
    public = StaffJob.objects.exclude(pk=internal.pk).get()
    run_staff_export(public.pk)
    assert auditor.get(f"/staff/jobs/{public.pk}/file/").status_code == 200
    clerk = browser(StaffFactory(role="assembly_clerk"))  # may export attendance, not this
    assert clerk.get(f"/staff/jobs/{public.pk}/file/").status_code == 404
    assert prepare(clerk, initiative.pk, scope="public").status_code == 404
    for user in (StaffFactory(role="campaign_manager"), ResidentFactory()):
        assert browser(user).get(f"/staff/jobs/{public.pk}/file/").status_code == 403
        assert prepare(browser(user), initiative.pk, scope="public").status_code == 404
    assert StaffJob.objects.count() == 2
