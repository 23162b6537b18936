"""The commitment is computed by a worker: the clerk's request returns at once, one job per mandate,
one publication however many workers run it, failures shown with a way to ask again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from assembly import tasks
from assembly.models import (
    CommitmentJob,
    CommitmentJobStatus,
    DrawCommitment,
    Mandate,
    MandateStatus,
)
from assembly.services import commitment as commitments
from civic.errors import Conflict, InvalidTransition, RuleViolation
from civic.models import AuditEntry
from tests.assembly.conftest import BALANCED_POOL, INFEASIBLE_POOL
from tests.assembly.test_concurrency import race


def _desk(mandate: Mandate) -> str:
    return f"/assembly/greffe/{mandate.pk}/"


def _commitment_post(when: Any) -> dict[str, str]:
    return {
        "action": "commitment",
        "seed_expected_at": timezone.localtime(when).strftime("%Y-%m-%dT%H:%M"),
    }


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """The ids handed to the commitment task, instead of running it."""
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(tasks.commitment_compute, "delay", lambda *args: calls.append(args))
    return calls


def _request(mandate: Mandate, clerk: Any, *, days: int = 2) -> CommitmentJob:
    return commitments.commitment_request(
        mandate_id=mandate.pk,
        actor=clerk,
        seed_expected_at=timezone.now() + timedelta(days=days),
    )


def _publish_audits(mandate: Mandate) -> int:
    return AuditEntry.objects.filter(verb="assembly.commitment_publish").count()


# --- The request ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_desk_request_returns_without_computing_and_enqueues_one_task_on_commit(
    client, recruiting, clerk, enqueued, django_capture_on_commit_callbacks
) -> None:
    mandate = recruiting(BALANCED_POOL)
    client.force_login(clerk)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(_desk(mandate), _commitment_post(timezone.now() + timedelta(days=2)))
    assert response.status_code == 302
    assert enqueued == []  # nothing leaves before the request's transaction commits
    job = CommitmentJob.objects.get(mandate=mandate)
    for callback in callbacks:
        callback()
    assert enqueued == [(job.pk,)]
    assert job.status == CommitmentJobStatus.PENDING and job.requested_by == clerk
    assert not DrawCommitment.objects.exists()
    mandate.refresh_from_db()
    assert mandate.status == MandateStatus.RECRUITING
    assert AuditEntry.objects.filter(
        verb="assembly.commitment_request", target_id=str(job.pk)
    ).exists()


@pytest.mark.django_db
def test_a_second_click_while_the_job_is_pending_is_refused_and_enqueues_nothing(
    recruiting, clerk, enqueued, django_capture_on_commit_callbacks
) -> None:
    mandate = recruiting(BALANCED_POOL)
    with django_capture_on_commit_callbacks(execute=True):
        first = _request(mandate, clerk)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Conflict) as exc:
        _request(mandate, clerk)
    assert exc.value.code == "commitment_in_progress"
    assert enqueued == [(first.pk,)]
    assert CommitmentJob.objects.count() == 1


@pytest.mark.django_db
def test_a_request_with_a_past_seed_is_refused_at_once(recruiting, clerk, enqueued) -> None:
    mandate = recruiting(BALANCED_POOL)
    with pytest.raises(RuleViolation) as past:
        _request(mandate, clerk, days=-1)
    assert past.value.code == "seed_not_in_future"
    assert not CommitmentJob.objects.exists() and enqueued == []


@pytest.mark.django_db
def test_a_request_outside_recruitment_is_refused(clerk, enqueued) -> None:
    from tests.assembly.factories import MandateFactory

    mandate = MandateFactory()  # still a draft
    with pytest.raises(InvalidTransition):
        _request(mandate, clerk)
    assert not CommitmentJob.objects.exists() and enqueued == []


# --- The task ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_task_publishes_the_commitment_and_marks_the_job_done(
    recruiting, clerk, enqueued
) -> None:
    mandate = recruiting(BALANCED_POOL)
    job = _request(mandate, clerk)
    assert tasks.commitment_compute(job.pk) == CommitmentJobStatus.DONE
    job.refresh_from_db()
    assert (job.status, job.attempts, job.error_code) == (CommitmentJobStatus.DONE, 1, "")
    assert job.finished_at is not None
    commitment = DrawCommitment.objects.get(mandate=mandate)
    assert commitment.published_by == clerk
    assert commitment.seed_source.startswith("drand quicknet (League of Entropy), round ")
    mandate.refresh_from_db()
    assert mandate.status == MandateStatus.COMMITTED
    assert _publish_audits(mandate) == 1


@pytest.mark.django_db
def test_running_the_task_again_after_it_finished_publishes_nothing_more(
    recruiting, clerk, enqueued
) -> None:
    mandate = recruiting(BALANCED_POOL)
    job = _request(mandate, clerk)
    tasks.commitment_compute(job.pk)
    assert tasks.commitment_compute(job.pk) == CommitmentJobStatus.DONE
    job.refresh_from_db()
    assert job.attempts == 1
    assert DrawCommitment.objects.count() == 1 and _publish_audits(mandate) == 1


@pytest.mark.django_db
def test_a_claim_held_by_a_live_worker_is_left_alone(recruiting, clerk, enqueued) -> None:
    mandate = recruiting(BALANCED_POOL)
    job = _request(mandate, clerk)
    CommitmentJob.objects.filter(pk=job.pk).update(
        status=CommitmentJobStatus.RUNNING, started_at=timezone.now(), attempts=1
    )
    assert tasks.commitment_compute(job.pk) == CommitmentJobStatus.RUNNING
    assert not DrawCommitment.objects.exists()


@pytest.mark.django_db
def test_a_stale_claim_of_a_dead_worker_is_taken_over(recruiting, clerk, enqueued) -> None:
    mandate = recruiting(BALANCED_POOL)
    job = _request(mandate, clerk)
    CommitmentJob.objects.filter(pk=job.pk).update(
        status=CommitmentJobStatus.RUNNING,
        started_at=timezone.now() - commitments.COMMITMENT_JOB_STALE_AFTER - timedelta(minutes=1),
        attempts=1,
    )
    assert tasks.commitment_compute(job.pk) == CommitmentJobStatus.DONE
    job.refresh_from_db()
    assert job.attempts == 2
    assert DrawCommitment.objects.filter(mandate=mandate).count() == 1


@pytest.mark.django_db
def test_infeasible_quotas_fail_the_job_with_the_reason_and_a_retry_asks_again(
    recruiting, clerk, enqueued, django_capture_on_commit_callbacks
) -> None:
    mandate = recruiting(INFEASIBLE_POOL)
    with django_capture_on_commit_callbacks(execute=True):
        job = _request(mandate, clerk)
    assert tasks.commitment_compute(job.pk) == CommitmentJobStatus.FAILED
    job.refresh_from_db()
    assert job.status == CommitmentJobStatus.FAILED and job.error_code == "infeasible_quotas"
    assert job.error_detail.startswith("Aucune assemblée ne peut respecter tous les quotas")
    assert AuditEntry.objects.filter(
        verb="assembly.commitment_fail", target_id=str(job.pk)
    ).exists()
    mandate.refresh_from_db()
    assert mandate.status == MandateStatus.RECRUITING and not DrawCommitment.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        again = _request(mandate, clerk, days=3)
    assert again.pk == job.pk
    assert (again.status, again.error_code, again.error_detail) == ("pending", "", "")
    assert again.finished_at is None
    assert enqueued == [(job.pk,), (job.pk,)]


@pytest.mark.django_db
def test_the_failure_reason_is_in_the_language_of_the_clerk_who_asked(
    recruiting, clerk, enqueued
) -> None:
    clerk.language = "en"
    clerk.save(update_fields=["language"])
    mandate = recruiting(INFEASIBLE_POOL)
    job = _request(mandate, clerk)
    tasks.commitment_compute(job.pk)
    job.refresh_from_db()
    assert job.error_detail.startswith("No assembly can meet all the quotas")


@pytest.mark.django_db
def test_a_seed_time_passed_while_queued_fails_the_job(recruiting, clerk, enqueued, freeze) -> None:
    mandate = recruiting(BALANCED_POOL)
    start = timezone.now()
    freeze(start)
    job = _request(mandate, clerk, days=1)
    freeze(start + timedelta(days=2))  # the worker was down until after the announced draw
    assert tasks.commitment_compute(job.pk) == CommitmentJobStatus.FAILED
    job.refresh_from_db()
    assert job.error_code == "seed_not_in_future"


@pytest.mark.django_db
def test_an_unexpected_error_fails_the_job_and_is_raised_for_the_logs(
    recruiting, clerk, enqueued, monkeypatch
) -> None:
    mandate = recruiting(BALANCED_POOL)
    job = _request(mandate, clerk)

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("solver crashed")

    monkeypatch.setattr(commitments, "commitment_publish", broken)
    with pytest.raises(RuntimeError):
        tasks.commitment_compute(job.pk)
    job.refresh_from_db()
    assert job.status == CommitmentJobStatus.FAILED and job.error_code == "internal_error"
    assert "solver crashed" not in job.error_detail  # the clerk gets a sentence, not a trace


@pytest.mark.django_db
def test_the_sweep_enqueues_lost_and_stale_jobs_only(recruiting, clerk, enqueued) -> None:
    lost = _request(recruiting(BALANCED_POOL), clerk)
    CommitmentJob.objects.filter(pk=lost.pk).update(
        requested_at=timezone.now() - tasks.SWEEP_PENDING_AFTER - timedelta(minutes=1)
    )
    enqueued.clear()
    assert tasks.commitment_sweep() == 1
    assert enqueued == [(lost.pk,)]
    CommitmentJob.objects.filter(pk=lost.pk).update(
        status=CommitmentJobStatus.RUNNING, started_at=timezone.now()
    )
    assert tasks.commitment_sweep() == 0  # a live claim is not disturbed


# --- The page ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_desk_states_in_progress_then_the_published_commitment(
    client, recruiting, clerk, enqueued
) -> None:
    mandate = recruiting(BALANCED_POOL)
    job = _request(mandate, clerk)
    client.force_login(clerk)
    html = client.get(_desk(mandate)).content.decode()
    assert "Calcul de l'engagement en cours" in html
    # A plain link to the job's page, which reloads itself while it runs (no script).
    assert f'href="{_desk(mandate)}engagement/"' in html
    assert 'value="commitment"' not in html  # no second request while it runs
    tasks.commitment_compute(job.pk)
    html = client.get(_desk(mandate)).content.decode()
    assert "Calcul de l'engagement en cours" not in html
    assert DrawCommitment.objects.get(mandate=mandate).digest in html


@pytest.mark.django_db
def test_the_desk_shows_a_failure_with_its_reason_and_the_form_to_ask_again(
    client, recruiting, clerk, enqueued
) -> None:
    mandate = recruiting(INFEASIBLE_POOL)
    job = _request(mandate, clerk)
    tasks.commitment_compute(job.pk)
    client.force_login(clerk)
    html = client.get(_desk(mandate)).content.decode()
    assert 'role="alert"' in html and "Le calcul de l'engagement a échoué" in html
    assert "Aucune assemblée ne peut respecter tous les quotas" in html
    assert 'value="commitment"' in html and "Relancer le calcul" in html
    # The previous answer is kept.
    assert timezone.localtime(job.seed_expected_at).strftime("%Y-%m-%dT%H:%M") in html


@pytest.mark.django_db
def test_the_desk_request_page_says_the_computation_started(
    client, recruiting, clerk, enqueued
) -> None:
    mandate = recruiting(BALANCED_POOL)
    client.force_login(clerk)
    page = client.post(
        _desk(mandate), _commitment_post(timezone.now() + timedelta(days=2)), follow=True
    )
    html = page.content.decode()
    assert "Calcul de l&#x27;engagement lancé" in html
    again = client.post(
        _desk(mandate), _commitment_post(timezone.now() + timedelta(days=2)), follow=True
    )
    assert "message-error" in again.content.decode()
    assert CommitmentJob.objects.count() == 1


# --- Races on PostgreSQL ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_workers_running_the_same_job_publish_once(recruiting, clerk, enqueued) -> None:
    mandate = recruiting(BALANCED_POOL)
    job = _request(mandate, clerk)
    results = race(
        lambda: tasks.commitment_compute(job.pk), lambda: tasks.commitment_compute(job.pk)
    )
    assert CommitmentJobStatus.DONE in results
    job.refresh_from_db()
    assert (job.status, job.attempts) == (CommitmentJobStatus.DONE, 1)
    assert DrawCommitment.objects.filter(mandate=mandate).count() == 1
    assert _publish_audits(mandate) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_taking_over_a_stale_claim_publish_once(recruiting, clerk, enqueued) -> None:
    mandate = recruiting(BALANCED_POOL)
    job = _request(mandate, clerk)
    stale = timezone.now() - commitments.COMMITMENT_JOB_STALE_AFTER - timedelta(minutes=1)
    CommitmentJob.objects.filter(pk=job.pk).update(
        status=CommitmentJobStatus.RUNNING, started_at=stale, attempts=1
    )
    results = race(
        lambda: commitments.commitment_job_run(job_id=job.pk),
        lambda: commitments.commitment_job_run(job_id=job.pk),
    )
    # The loser sees the winner's claim (running) or its result (done), never a failure.
    assert CommitmentJobStatus.DONE in results and CommitmentJobStatus.FAILED not in results
    job.refresh_from_db()
    assert (job.status, job.attempts) == (CommitmentJobStatus.DONE, 2)
    assert DrawCommitment.objects.filter(mandate=mandate).count() == 1
    assert _publish_audits(mandate) == 1


@pytest.mark.django_db(transaction=True)
def test_two_clicks_at_once_make_one_job_and_one_task(recruiting, clerk, enqueued) -> None:
    mandate = recruiting(BALANCED_POOL)
    results = race(lambda: _request(mandate, clerk), lambda: _request(mandate, clerk))
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(refused) == 1 and refused[0].code == "commitment_in_progress"
    assert CommitmentJob.objects.filter(mandate=mandate).count() == 1
    assert len(enqueued) == 1
