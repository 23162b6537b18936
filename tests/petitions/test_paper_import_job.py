"""Paper signatures entered from a keyed file as a background job: the moderator's upload records
a job and redirects to its page (a native progress bar while it runs), the task enters the rows
batch by batch with the same rules as `paper_signatures_import`, moving its progress in the
transaction of each batch, and the page then shows the report with each rejected line. A
redelivered task resumes after the last committed batch and enters nothing twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.html import escape

from civic.models import AuditEntry, JobState, StaffJob
from petitions.models import PaperRejection, Signature
from petitions.services import paper_jobs
from petitions.tasks import run_paper_import
from tests.factories import RegisterEntryFactory, ResidentFactory, StaffFactory
from tests.job_pages import assert_followed_while_running, assert_not_followed_once_over
from tests.petitions.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def now(freeze):  # type: ignore[no-untyped-def]
    return freeze("2026-03-02 10:00")


@pytest.fixture
def initiative(now):  # type: ignore[no-untyped-def]
    return InitiativeFactory(collecting=True)


@pytest.fixture
def sheet(now) -> str:  # type: ignore[no-untyped-def]
    """Four lines: two on the register, one twice, one unknown."""
    a, b = RegisterEntryFactory(), RegisterEntryFactory()
    return f"register_ref,sheet_ref\n{a.ref},F1-L1\n{b.ref},F1-L2\n{a.ref},F1-L3\nNOPE,F1-L4\n"


def browser(user=None) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def upload(client: Client, initiative_id: int, text: str | bytes):  # type: ignore[no-untyped-def]
    data = text.encode() if isinstance(text, str) else text
    return client.post(
        f"/initiatives/{initiative_id}/paper/import/",
        {"file": SimpleUploadedFile("lot.csv", data)},
    )


def test_an_upload_becomes_a_job_whose_page_follows_it_then_shows_the_report(
    initiative, sheet, moderator
):
    client = browser(moderator)
    assert "Importer un fichier de signatures" in (
        client.get(f"/initiatives/{initiative.pk}/paper/").content.decode()
    )
    answer = upload(client, initiative.pk, sheet)
    job = StaffJob.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/staff/jobs/{job.pk}/"
    assert (job.kind, job.scope_id, job.total, job.state) == (
        "petitions.paper_import",
        initiative.pk,
        4,
        JobState.PENDING,
    )
    assert Signature.objects.count() == 0
    waiting = client.get(answer["Location"]).content.decode()
    assert_followed_while_running(waiting, answer["Location"])
    assert 'max="4" value="0"' in waiting
    assert "Import de signatures papier du" in waiting
    assert f'href="/initiatives/{initiative.pk}/paper/import/"' in waiting

    assert run_paper_import(job.pk) == 2

    done = client.get(answer["Location"]).content.decode()
    assert_not_followed_once_over(done, answer["Location"])
    assert "Terminé</strong> — 4 sur 4 (100 %)" in done
    assert "Signatures enregistrées</th><td>2" in done
    assert "<td>4</td><td>A déjà signé (en ligne ou sur papier)</td>" in done
    assert "<td>5</td><td>Introuvable sur le registre ou la liste électorale</td>" in done
    assert Signature.objects.filter(channel="paper").count() == 2
    assert PaperRejection.objects.count() == 2
    audit = AuditEntry.objects.get(verb="signature.paper_imported")
    assert audit.after["accepted"] == 2 and audit.after["source"] == "lot.csv"
    job.refresh_from_db()
    assert bytes(job.payload) == b""
    listing = client.get(f"/initiatives/{initiative.pk}/paper/import/").content.decode()
    assert f'href="/staff/jobs/{job.pk}/"' in listing


def test_the_progress_moves_in_the_transaction_of_each_batch(
    initiative, sheet, moderator, monkeypatch
):
    monkeypatch.setattr(paper_jobs, "BATCH", 1)
    upload(browser(moderator), initiative.pk, sheet)
    job = StaffJob.objects.get()
    seen: list[tuple[int, int]] = []
    apply = paper_jobs.paper_batch_apply

    def watched(*args, **kwargs):  # type: ignore[no-untyped-def]
        rejected = apply(*args, **kwargs)
        row = StaffJob.objects.get(pk=job.pk)
        seen.append((row.done, Signature.objects.count()))
        return rejected

    monkeypatch.setattr(paper_jobs, "paper_batch_apply", watched)
    run_paper_import(job.pk)
    # Seen inside each batch's transaction, before its progress: the bar follows what is recorded.
    assert seen == [(0, 1), (1, 2), (2, 2), (3, 2)]
    assert StaffJob.objects.get(pk=job.pk).done == 4


def test_a_redelivered_task_resumes_after_the_last_batch_and_enters_nothing_twice(
    initiative, sheet, moderator, monkeypatch
):
    monkeypatch.setattr(paper_jobs, "BATCH", 2)
    upload(browser(moderator), initiative.pk, sheet)
    job = StaffJob.objects.get()
    apply = paper_jobs.paper_batch_apply
    calls = {"n": 0}

    def dies_on_the_second_batch(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # the worker is killed: the message is redelivered
        return apply(*args, **kwargs)

    monkeypatch.setattr(paper_jobs, "paper_batch_apply", dies_on_the_second_batch)
    with pytest.raises(KeyboardInterrupt):
        run_paper_import(job.pk)
    job.refresh_from_db()
    assert (job.state, job.done, Signature.objects.count()) == (JobState.RUNNING, 2, 2)
    monkeypatch.setattr(paper_jobs, "paper_batch_apply", apply)
    assert run_paper_import(job.pk) == 0  # the rest: a duplicate and an unknown
    assert run_paper_import(job.pk) == 0  # once over, a redelivery does nothing
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.result["accepted"] == 2
    assert job.result["rejected"] == {"duplicate": 1, "not_on_register": 1}
    assert [line["line"] for line in job.result["lines"]] == [4, 5]
    assert Signature.objects.count() == 2 and PaperRejection.objects.count() == 2
    assert AuditEntry.objects.filter(verb="signature.paper_imported").count() == 1


def test_a_collection_that_closes_midway_fails_the_job_and_keeps_what_was_entered(
    initiative, sheet, moderator, monkeypatch, now
):
    monkeypatch.setattr(paper_jobs, "BATCH", 2)
    client = browser(moderator)
    upload(client, initiative.pk, sheet)
    job = StaffJob.objects.get()
    apply = paper_jobs.paper_batch_apply

    def then_close(*args, **kwargs):  # type: ignore[no-untyped-def]
        rejected = apply(*args, **kwargs)
        now.move_to(initiative.closes_at + timedelta(minutes=1))
        return rejected

    monkeypatch.setattr(paper_jobs, "paper_batch_apply", then_close)
    assert run_paper_import(job.pk) == 2
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.error and job.result["accepted"] == 2
    assert Signature.objects.count() == 2  # the first batch stays
    page = browser(moderator).get(f"/staff/jobs/{job.pk}/").content.decode()  # a new session
    assert (
        'role="alert"' in page and escape(job.error) in page and "Signatures enregistrées" in page
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe\x00bad", "pas encodé en UTF-8"),
        ("name,sheet\nX,1\n", "Colonnes manquantes : register_ref"),
    ],
)
def test_a_file_that_cannot_be_read_makes_no_job_and_enters_nothing(
    initiative, moderator, content, message
):
    answer = upload(browser(moderator), initiative.pk, content)
    assert answer.status_code == 200 and message in answer.content.decode()
    assert StaffJob.objects.count() == 0 and Signature.objects.count() == 0


def test_a_collection_that_is_not_open_refuses_the_upload(now, sheet, moderator):
    draft = InitiativeFactory()
    answer = upload(browser(moderator), draft.pk, sheet)
    assert answer.status_code == 200 and StaffJob.objects.count() == 0


@pytest.mark.parametrize("role", ["auditor", "assembly_clerk", "campaign_manager"])
def test_only_moderators_see_a_paper_import_job(initiative, sheet, moderator, role):
    upload(browser(moderator), initiative.pk, sheet)
    job = StaffJob.objects.get()
    client = browser(StaffFactory(role=role))
    assert client.get(f"/staff/jobs/{job.pk}/").status_code == 403
    assert client.get(f"/staff/jobs/{job.pk}/status.json").status_code == 403
    assert upload(client, initiative.pk, sheet).status_code == 403
    assert browser(ResidentFactory()).get(f"/staff/jobs/{job.pk}/").status_code == 403
    assert StaffJob.objects.count() == 1
    assert browser(StaffFactory(role="moderator")).get(f"/staff/jobs/{job.pk}/").status_code == 200
