"""An invalidation's progress, recorded by its Celery task chunk by chunk in the job's row and
shown on the job's page (civic/progress.py): a native progress bar with the figures in words, a
link to refresh and the script that follows the job in place only while it runs (never a page
that reloads itself), for moderators only."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.utils import translation

from civic.progress import REFRESH_SECONDS, JobProgress, progress_refresh
from petitions import services
from petitions.models import Invalidation, InvalidationState
from petitions.services import invalidations as invalidation_services
from petitions.tasks import run_invalidation
from tests.factories import ResidentFactory, StaffFactory
from tests.job_pages import (
    META_REFRESH,
    assert_followed_while_running,
    assert_not_followed_once_over,
)
from tests.petitions.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


def browser(user=None) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def requested(freeze, moderator):  # type: ignore[no-untyped-def]
    """An invalidation of 5 signatures (of 6), recorded but its job not yet run."""
    freeze("2026-03-02 10:00")
    initiative = InitiativeFactory(collecting=True)
    for i in range(6):
        ip = f"203.0.113.{i + 1}" if i < 5 else "192.0.2.1"
        services.signature_sign(initiative_id=initiative.pk, user=ResidentFactory(), ip=ip)
    services.counts_tick()
    return services.invalidation_request(
        initiative_id=initiative.pk,
        criteria={"ip": "203.0.113.0/24"},
        reason="automated",
        expected=5,
        actor=moderator,
    )


def test_the_task_records_its_progress_in_the_jobs_row_chunk_by_chunk(requested, monkeypatch):
    monkeypatch.setattr(invalidation_services, "CHUNK", 2)
    seen: list[tuple[str, int, int]] = []
    apply = invalidation_services._chunk_apply

    def watched(invalidation, ids):  # type: ignore[no-untyped-def]
        removed = apply(invalidation, ids)
        row = Invalidation.objects.get(pk=invalidation.pk)
        seen.append((row.state, row.progress, row.matched))
        return removed

    monkeypatch.setattr(invalidation_services, "_chunk_apply", watched)
    assert run_invalidation(requested.pk) == 5
    assert seen == [("running", 2, 5), ("running", 4, 5), ("running", 5, 5)]
    requested.refresh_from_db()
    assert (requested.state, requested.progress) == (InvalidationState.DONE, 5)


def test_the_job_page_shows_the_figures_and_follows_them_only_while_the_job_runs(
    requested, moderator
):
    client = browser(moderator)
    url = f"/initiatives/invalidations/{requested.pk}/"
    waiting = client.get(url).content.decode()
    assert_followed_while_running(waiting, url)
    assert "En attente</strong> — 0 sur 5 (0 %)" in waiting
    assert 'max="5" value="0"' in waiting and 'aria-live="polite"' in waiting
    assert "Annuler l'invalidation" not in waiting
    Invalidation.objects.filter(pk=requested.pk).update(state="running", progress=3)
    running = client.get(url).content.decode()
    assert_followed_while_running(running, url)
    assert "3 sur 5 (60 %)" in running and 'value="3"' in running
    Invalidation.objects.filter(pk=requested.pk).update(state="pending", progress=0)
    run_invalidation(requested.pk)
    done = client.get(url).content.decode()
    assert_not_followed_once_over(done, url)
    assert "Appliquée</strong> — 5 sur 5 (100 %)" in done
    assert "Annuler l'invalidation" in done
    listing = client.get(f"/initiatives/{requested.initiative_id}/invalidations/").content.decode()
    # The page with the form is not followed: no script, no link to refresh, never a reload.
    assert not META_REFRESH.search(listing) and "job-progress.js" not in listing
    assert "data-job-poll" not in listing and "Actualiser" not in listing


def test_an_undo_follows_its_progress_on_the_same_page(requested, moderator):
    run_invalidation(requested.pk)
    client = browser(moderator)
    answer = client.post(f"/initiatives/invalidations/{requested.pk}/undo/")
    assert answer["Location"] == f"/initiatives/invalidations/{requested.pk}/"
    page = client.get(answer["Location"]).content.decode()
    assert_followed_while_running(page, answer["Location"])
    assert "Annulation en cours" in page


@pytest.mark.parametrize("role", ["resident", "campaign_manager", "assembly_clerk", "auditor"])
def test_only_moderators_see_a_jobs_progress(requested, role):
    user = ResidentFactory() if role == "resident" else StaffFactory(role=role)
    url = f"/initiatives/invalidations/{requested.pk}/"
    assert browser(user).get(url).status_code == 403
    assert browser().get(url).status_code == 302  # to the login page
    assert (
        browser(StaffFactory(role="moderator"))
        .get("/initiatives/invalidations/999999/")
        .status_code
        == 404
    )


def test_a_progress_counts_in_words_and_in_a_bar_whatever_its_total():
    def job(done: int, total: int | None, running: bool) -> JobProgress:
        return JobProgress("k", "Travail", "En cours", done, total, running)

    assert job(3, 5, True).percent == 60 and job(7, 5, True).percent == 100
    assert (job(0, 0, False).percent, job(0, 0, False).bar_max, job(0, 0, False).bar_value) == (
        100,
        1,
        1,
    )
    assert job(0, 0, True).bar_value == 0 and job(0, None, True).percent == 0
    assert progress_refresh([job(1, 5, False), job(0, None, True)]) == REFRESH_SECONDS
    assert progress_refresh([job(5, 5, False)]) is None


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_fractional_delay_reaches_the_script_with_a_decimal_point(monkeypatch, language):
    """The script reads `data-job-poll` as a number: French's decimal comma would make it none
    (and the script fall back to its own delay)."""
    monkeypatch.setattr("civic.progress.REFRESH_SECONDS", 0.5)
    running = JobProgress("k", "Travail", "En cours", 1, 4, True)
    with translation.override(language):
        html = render_to_string(
            "civic/_job_progress.html", {"job": running}, request=RequestFactory().get("/x/")
        )
    assert 'data-job-poll="0.5"' in html
