"""The clerk follows the commitment's computation on its own page (civic/progress.py): a bar that
says the job runs, a link to refresh and the script that updates it in place while it does (never
a page that reloads itself), neither once it is over; the clerk's desk links to it. Only the clerk
reads it."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from assembly import tasks
from assembly.models import CommitmentJob
from assembly.services import commitment as commitments
from tests.assembly.conftest import BALANCED_POOL
from tests.factories import ResidentFactory, StaffFactory
from tests.job_pages import assert_followed_while_running, assert_not_followed_once_over

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(recruiting, clerk, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(tasks.commitment_compute, "delay", lambda *args: None)
    mandate = recruiting(BALANCED_POOL)
    return commitments.commitment_request(
        mandate_id=mandate.pk, actor=clerk, seed_expected_at=timezone.now() + timedelta(days=2)
    )


def test_the_job_page_follows_the_job_while_it_waits_or_runs_and_stops_when_done(job, staff):
    url = f"/assembly/greffe/{job.mandate_id}/engagement/"
    desk = staff.get(f"/assembly/greffe/{job.mandate_id}/").content.decode()
    assert f'href="{url}"' in desk and "job-progress.js" not in desk
    waiting = html.unescape(staff.get(url).content.decode())
    assert_followed_while_running(waiting, url)
    assert "<progress" in waiting and 'role="status"' in waiting
    assert "En attente d'un calcul" in waiting
    commitments.commitment_job_run(job_id=job.pk)
    assert CommitmentJob.objects.get(pk=job.pk).status == "done"
    done = staff.get(url).content.decode()
    assert_not_followed_once_over(done, url)
    assert "<progress" not in done
    assert "Engagement publié" in done


@pytest.mark.parametrize("role", ["resident", "moderator", "campaign_manager", "auditor"])
def test_only_the_clerk_follows_the_computation(job, role):
    user = ResidentFactory() if role == "resident" else StaffFactory(role=role)
    client = Client()
    client.force_login(user)
    url = f"/assembly/greffe/{job.mandate_id}/engagement/"
    assert client.get(url).status_code == 403
    assert Client().get(url).status_code == 302


def test_a_mandate_without_a_job_has_no_job_page(recruiting, staff):
    mandate = recruiting(BALANCED_POOL)
    assert staff.get(f"/assembly/greffe/{mandate.pk}/engagement/").status_code == 404
