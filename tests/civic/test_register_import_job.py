"""The register import as a background job: the administrator's upload records a job and redirects
to its page (a native progress bar, with a link to refresh and a script that updates it in place while it
runs), the task applies
the file exactly as the in-request import did, and the page then shows the report. A file that
cannot be read makes no job; a redelivered task imports nothing twice; other roles see nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from civic import jobs
from civic.legal.jobs import staff_jobs_purge
from civic.models import AuditEntry, JobState, RegisterEntry, RegisterImport, StaffJob
from civic.services import register_jobs
from civic.tasks import run_register_import
from tests.factories import DistrictFactory, RegisterEntryFactory, ResidentFactory, StaffFactory
from tests.job_pages import assert_followed_while_running, assert_not_followed_once_over

pytestmark = pytest.mark.django_db

HEADER = "ref,kind,last_name,first_names,birth_date,address,postcode,district,roll_number\n"
GOOD = (
    HEADER
    + "A1,elector,Martin,Léa,1990-01-01,1 rue A,86000,centre,R1\n"
    + "A2,resident,Durand,Paul,1985-05-05,2 rue B,86000,centre,\n"
    + "A3,elector,Petit,Zoé,1970-03-03,3 rue C,86000,nowhere,R3\n"
)


@pytest.fixture(autouse=True)
def centre():  # type: ignore[no-untyped-def]
    return DistrictFactory(code="centre", name="Centre")


def browser(user=None) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def upload(client: Client, text: str | bytes, **fields):  # type: ignore[no-untyped-def]
    data = text.encode() if isinstance(text, str) else text
    return client.post(
        "/staff/register/import/", {"file": SimpleUploadedFile("roll.csv", data), **fields}
    )


def test_an_upload_becomes_a_job_whose_page_follows_it_then_shows_the_report():
    admin = StaffFactory(role="administrator")
    client = browser(admin)
    answer = upload(client, GOOD)  # the task waits for the commit, which a test never makes
    job = StaffJob.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/staff/jobs/{job.pk}/"
    assert (job.kind, job.actor, job.state, job.total, job.filename) == (
        "civic.register_import",
        admin,
        JobState.PENDING,
        3,
        "roll.csv",
    )
    assert RegisterEntry.objects.count() == 0  # nothing in the request itself
    waiting = client.get(answer["Location"]).content.decode()
    assert_followed_while_running(waiting, answer["Location"])
    assert 'max="3" value="0"' in waiting
    assert "En attente</strong> — 0 sur 3 (0 %)" in waiting
    status = client.get(f"/staff/jobs/{job.pk}/status.json").json()
    assert status == {
        "id": job.pk,
        "state": "pending",
        "done": 0,
        "total": 3,
        "percent": 0,
        "running": True,
        "error": "",
    }

    assert run_register_import(job.pk) is True

    done = client.get(answer["Location"]).content.decode()
    assert_not_followed_once_over(done, answer["Location"])
    assert "Terminé</strong> — 3 sur 3 (100 %)" in done and 'value="3"' in done
    assert "Import appliqué." in done and "Lignes rejetées" in done
    assert "quartier inconnu « nowhere »" in done
    assert set(RegisterEntry.objects.values_list("ref", flat=True)) == {"A1", "A2"}
    job.refresh_from_db()
    assert bytes(job.payload) == b""  # the uploaded register is not kept once applied
    assert job.result["created"] == 2 and job.result["rejected"][0]["line"] == 4
    assert AuditEntry.objects.filter(verb="register.import").count() == 1
    verbs = set(AuditEntry.objects.values_list("verb", flat=True))
    assert {"staff_job.create", "staff_job.done"} <= verbs
    listing = client.get("/staff/register/import/").content.decode()
    assert f'href="/staff/jobs/{job.pk}/"' in listing


def test_the_upload_enqueues_the_task_once_the_request_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        upload(browser(StaffFactory(role="administrator")), GOOD)
    assert len(callbacks) == 1  # the eager task ran on commit
    assert StaffJob.objects.get().state == JobState.DONE
    assert RegisterEntry.objects.count() == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe\x00bad", "pas encodé en UTF-8"),
        ("ref,kind\nA1,elector\n", "Colonnes manquantes : last_name"),
    ],
)
def test_a_file_that_cannot_be_read_makes_no_job_and_changes_nothing(content, message):
    answer = upload(browser(StaffFactory(role="administrator")), content)
    assert answer.status_code == 200 and message in answer.content.decode()
    assert StaffJob.objects.count() == 0 and RegisterEntry.objects.count() == 0


def test_a_redelivered_task_imports_nothing_twice():
    upload(browser(StaffFactory(role="administrator")), GOOD)
    job = StaffJob.objects.get()
    assert run_register_import(job.pk) is True
    assert run_register_import(job.pk) is False  # acks_late: the same message, again
    assert RegisterImport.objects.count() == 1 and RegisterEntry.objects.count() == 2
    assert AuditEntry.objects.filter(verb="register.import").count() == 1


def test_a_task_killed_mid_import_left_nothing_and_its_redelivery_imports_the_file(monkeypatch):
    upload(browser(StaffFactory(role="administrator")), GOOD)
    job = StaffJob.objects.get()
    original = register_jobs.register_import

    def die(report):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt  # the worker dies before the import commits

    def killed(**kwargs):  # type: ignore[no-untyped-def]
        return original(**{**kwargs, "before_commit": die})

    monkeypatch.setattr(register_jobs, "register_import", killed)
    with pytest.raises(KeyboardInterrupt):
        run_register_import(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.RUNNING  # as a dead worker leaves it
    monkeypatch.setattr(register_jobs, "register_import", original)
    assert run_register_import(job.pk) is True
    assert RegisterImport.objects.filter(applied=True).count() == 1
    assert RegisterEntry.objects.count() == 2


def test_a_refused_import_fails_with_its_message_and_changes_nothing(settings):
    settings.REGISTER_STRIKE_OFF_MAX_PERMILLE = 100
    for i in range(5):
        RegisterEntryFactory(ref=f"OLD{i}", kind="elector")
    client = browser(StaffFactory(role="administrator"))
    upload(client, GOOD)
    job = StaffJob.objects.get()
    assert run_register_import(job.pk) is False
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "radierait 5 inscriptions" in job.error
    assert RegisterEntry.objects.filter(active=True).count() == 5
    assert not RegisterEntry.objects.filter(ref__startswith="A").exists()
    page = client.get(f"/staff/jobs/{job.pk}/").content.decode()
    assert 'role="alert"' in page and "Le travail a échoué" in page and "radierait" in page
    assert_not_followed_once_over(page, f"/staff/jobs/{job.pk}/")


def test_a_strict_import_with_a_rejected_line_is_reported_and_applies_nothing():
    client = browser(StaffFactory(role="administrator"))
    upload(client, GOOD, strict="on")
    job = StaffJob.objects.get()
    assert run_register_import(job.pk) is False
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.result["applied"] is False
    assert RegisterEntry.objects.count() == 0
    page = client.get(f"/staff/jobs/{job.pk}/").content.decode()
    assert "Import annulé : aucune ligne n'a été appliquée." in page


def test_the_progress_moves_with_each_batch_while_the_import_runs(monkeypatch):
    monkeypatch.setattr("civic.services.register.BATCH", 1)
    upload(browser(StaffFactory(role="administrator")), GOOD)
    job = StaffJob.objects.get()
    seen: list[int] = []
    monkeypatch.setattr(
        "civic.store.job_progress_outside", _recording(seen)
    )  # the test's transaction hides the side connection's writes: record what it is told
    run_register_import(job.pk)
    assert seen == [1, 2, 3]  # after each batch, then at the end (the last line is rejected)


def _recording(seen: list[int]):  # type: ignore[no-untyped-def]
    from contextlib import contextmanager

    @contextmanager
    def outside(job_id: int):  # type: ignore[no-untyped-def]
        yield seen.append

    return outside


@pytest.mark.django_db(transaction=True)
def test_the_progress_is_seen_from_outside_while_the_import_transaction_is_open(monkeypatch):
    """Committed on its own connection: another reader sees the rows read before the commit."""
    monkeypatch.setattr("civic.services.register.BATCH", 1)
    job = StaffJob.objects.create(  # not through the page: on autocommit, it would run at once
        kind="civic.register_import",
        actor=StaffFactory(role="administrator"),
        payload=GOOD.encode(),
        filename="roll.csv",
        total=3,
    )
    seen: list[tuple[int, int]] = []
    original = register_jobs.register_import

    def watched(**kwargs):  # type: ignore[no-untyped-def]
        moved = kwargs["progress"]

        def progress(done: int) -> None:
            moved(done)
            seen.append((done, StaffJob.objects.get(pk=job.pk).done))

        return original(**{**kwargs, "progress": progress})

    monkeypatch.setattr(register_jobs, "register_import", watched)
    assert run_register_import(job.pk) is True
    assert seen == [(1, 1), (2, 2), (3, 3)]
    assert StaffJob.objects.get(pk=job.pk).state == JobState.DONE


@pytest.mark.parametrize("role", ["moderator", "auditor", "assembly_clerk", "campaign_manager"])
def test_only_administrators_see_a_register_import_job(role):
    upload(browser(StaffFactory(role="administrator")), GOOD)
    job = StaffJob.objects.get()
    client = browser(StaffFactory(role=role))
    for path in ("", "status.json", "file/"):
        assert client.get(f"/staff/jobs/{job.pk}/{path}").status_code == 403
    assert client.post("/staff/register/import/").status_code == 403
    assert browser(ResidentFactory()).get(f"/staff/jobs/{job.pk}/").status_code == 403
    assert browser().get(f"/staff/jobs/{job.pk}/").status_code == 302  # to the login page
    admin = browser(StaffFactory(role="administrator"))
    assert admin.get("/staff/jobs/999999/").status_code == 404
    assert admin.get(f"/staff/jobs/{job.pk}/file/").status_code == 404  # an import has no file


def test_jobs_over_for_longer_than_the_period_are_purged(settings):
    settings.STAFF_JOB_RETENTION_DAYS = 30
    actor = StaffFactory(role="administrator")
    old = jobs.job_create(kind="civic.register_import", actor=actor, payload=b"x", total=1)
    recent = jobs.job_create(kind="civic.register_import", actor=actor, payload=b"x", total=1)
    running = jobs.job_create(kind="civic.register_import", actor=actor, payload=b"x", total=1)
    long_ago = timezone.now() - timedelta(days=31)
    StaffJob.objects.filter(pk=old.pk).update(state="done", finished_at=long_ago)
    StaffJob.objects.filter(pk=recent.pk).update(
        state="done", finished_at=timezone.now() - timedelta(days=29)
    )
    StaffJob.objects.filter(pk=running.pk).update(state="running", created_at=long_ago)
    assert staff_jobs_purge() == 1
    assert set(StaffJob.objects.values_list("pk", flat=True)) == {recent.pk, running.pk}


def test_the_privacy_notice_states_the_period_the_purge_applies_and_the_beat_runs_it(
    client, settings
):
    import re

    from django.core.cache import cache

    from civic.tasks import purge_staff_jobs

    settings.STAFF_JOB_RETENTION_DAYS = 45
    cache.clear()
    body = client.get("/donnees-personnelles/").content.decode()
    assert re.search(r'data-retention-key="staff_jobs" data-retention-days="45"', body)
    entry = settings.CELERY_BEAT_SCHEDULE["staff-jobs-purge"]
    assert entry["task"] == purge_staff_jobs.name == "civic.tasks.purge_staff_jobs"
