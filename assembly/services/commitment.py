"""The commitment: the pool and quotas frozen, the lottery computed (by a worker: the solver takes
up to a minute) and its digest published before the public random value exists."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from assembly import sortition
from assembly.models import (
    CommitmentJob,
    CommitmentJobStatus,
    DrawCommitment,
    MandateStatus,
    Volunteer,
)
from assembly.services.common import mandate_locked, mandate_move
from assembly.services.pool import mandate_quotas, pool_candidates, pool_volunteers
from assembly.sortition import beacon
from assembly.workflow import MANDATE, may_move
from civic.audit import audit_record
from civic.errors import Conflict, DomainError, RuleViolation
from civic.models import User


def _sortition_messages() -> dict[str, str]:
    return {
        "infeasible_quotas": _(
            "Aucune assemblée ne peut respecter tous les quotas avec ce vivier."
        ),
        "pool_too_small": _("Le vivier compte moins de volontaires que de sièges."),
        "missing_feature_value": _(
            "Un volontaire n'a pas de valeur pour un critère : ajoutez la valeur manquante aux quotas."
        ),
        "invalid_quota": _("Un quota est incohérent (minimum supérieur au maximum)."),
    }


def _sortition_refusal(exc: sortition.SortitionError, *, rule: str) -> RuleViolation:
    """A translated sentence, then the library's own diagnosis (its suggested relaxation)."""
    detail = _sortition_messages().get(exc.code, str(exc))
    if exc.details:
        detail += " " + " ".join(exc.details)
    return RuleViolation(detail, code=exc.code, rule=rule)


def _commitment_inputs_check(*, seed_expected_at: datetime, now: datetime) -> None:
    if seed_expected_at <= now:
        raise RuleViolation(
            _("L'aléa doit être une valeur publique future, connue après la publication."),
            code="seed_not_in_future",
        )


# What the job shows until the worker names the round: the source is always the same.
SEED_SOURCE_GENERIC: Final = "drand quicknet (League of Entropy)"


def seed_source_text(number: int) -> str:
    """The public description of the seed: the round and where anyone reads it."""
    chain = beacon.QUICKNET
    return (
        f"{chain.name} (League of Entropy), round {number}: "
        f"{beacon.DEFAULT_RELAYS[0]}/{chain.hash}/public/{number}"
    )


def commitment_publish(
    *, mandate_id: int, actor: User, seed_expected_at: datetime
) -> DrawCommitment:
    """Freeze the pool and quotas, compute the lottery and publish their digest. The seed will be
    the randomness of the first drand round produced after `seed_expected_at` (and after now): the
    commitment names that round, nobody types the seed."""
    now = timezone.now()
    _commitment_inputs_check(seed_expected_at=seed_expected_at, now=now)
    chain = beacon.QUICKNET
    round_number = beacon.round_after(chain, max(seed_expected_at, now))
    seed_expected_at = beacon.round_time(chain, round_number)
    seed_source = seed_source_text(round_number)
    with transaction.atomic():
        mandate = mandate_locked(mandate_id)
        mandate_move(mandate, MandateStatus.COMMITTED)
        volunteers = pool_volunteers(mandate)
        candidates = pool_candidates(volunteers)
        quotas = mandate_quotas(mandate)
        try:
            lottery = sortition.lottery_compute(candidates, quotas, mandate.size)
        except sortition.SortitionError as exc:
            raise _sortition_refusal(exc, rule=mandate.rules_reference) from exc
        payload = sortition.commitment_payload(
            mandate_id=mandate.pk,
            panel_size=mandate.size,
            reserve_size=mandate.reserve_size,
            candidates=candidates,
            quotas=quotas,
            lottery=lottery,
            algorithm=sortition.ALGORITHM,
            library=sortition.library_version(),
            seed_source=seed_source.strip(),
            seed_expected_at=seed_expected_at.isoformat(),
            published_at=now.isoformat(),
            beacon={
                "network": "drand",
                "chain": chain.name,
                "chain_hash": chain.hash,
                "round": round_number,
                "round_time": seed_expected_at.isoformat(),
                "public_key": chain.public_key,
                "relays": list(settings.ASSEMBLY_DRAND_RELAYS),
            },
        )
        commitment = DrawCommitment.objects.create(
            mandate=mandate,
            payload=payload,
            digest=sortition.commitment_digest(payload),
            pool_digest=payload["pool_digest"],
            quotas_digest=sortition.quotas_digest(quotas),
            algorithm=sortition.ALGORITHM,
            library=payload["library"],
            seed_source=payload["seed_source"],
            seed_expected_at=seed_expected_at,
            published_at=now,
            published_by=actor,
            maximin_value=lottery.maximin_value,
            beacon_round=round_number,
        )
        for volunteer in volunteers:
            volunteer.selection_probability = lottery.probabilities.get(volunteer.pseudonym, 0.0)
        Volunteer.objects.bulk_update(volunteers, ["selection_probability"])
        mandate.save(update_fields=["status"])
        audit_record(
            actor=actor,
            verb="assembly.commitment_publish",
            target=commitment,
            after={
                "digest": commitment.digest,
                "pool_digest": commitment.pool_digest,
                "pool_size": len(candidates),
                "seed_source": commitment.seed_source,
                "seed_expected_at": seed_expected_at,
                "beacon_round": round_number,
            },
        )
    return commitment


# A worker that claimed a job and has not finished it after this long is presumed dead (the solver
# takes about a minute for the largest pools): another worker may claim the job again.
COMMITMENT_JOB_STALE_AFTER: Final = timedelta(minutes=15)
# Enqueued by name: the tasks module calls these services, so they do not import it back.
COMMITMENT_TASK: Final = "assembly.tasks.commitment_compute"


def commitment_request(
    *, mandate_id: int, actor: User, seed_expected_at: datetime
) -> CommitmentJob:
    """Ask a worker to publish the commitment (see `commitment_publish`). The same checks as the
    publication are made at once, so an obvious mistake is refused in the page; the lottery itself
    is computed by `assembly.tasks.commitment_compute` once this transaction commits. A failed job
    is asked again with this call; a job in progress refuses a second request."""
    now = timezone.now()
    _commitment_inputs_check(seed_expected_at=seed_expected_at, now=now)
    with transaction.atomic():
        mandate = mandate_locked(mandate_id)  # two clicks: the second waits, then sees the job
        if not may_move(MANDATE, mandate.status, MandateStatus.COMMITTED):
            mandate_move(mandate, MandateStatus.COMMITTED)  # raises the usual refusal
        job = CommitmentJob.objects.filter(mandate=mandate).first()
        if job is not None and job.status != CommitmentJobStatus.FAILED:
            raise Conflict(
                _("Le calcul de l'engagement est déjà demandé : actualisez la page."),
                code="commitment_in_progress",
            )
        fields = {
            "seed_source": SEED_SOURCE_GENERIC,
            "seed_expected_at": seed_expected_at,
            "requested_by": actor,
            "requested_at": now,
            "status": CommitmentJobStatus.PENDING,
            "started_at": None,
            "finished_at": None,
            "error_code": "",
            "error_detail": "",
        }
        job, _created = CommitmentJob.objects.update_or_create(mandate=mandate, defaults=fields)
        audit_record(
            actor=actor,
            verb="assembly.commitment_request",
            target=job,
            after={
                "seed_source": job.seed_source,
                "seed_expected_at": seed_expected_at,
                "retry": not _created,
            },
        )
        current_app.tasks[COMMITMENT_TASK].delay_on_commit(job.pk)
    return job


def commitment_job_run(*, job_id: int) -> str:
    """Compute and publish the commitment of a job, once: a worker acts only if it moved the job from
    pending (or from a running claim gone stale) to running, and the publication with the job's
    `done` commit together. Returns the job's status as this call leaves it."""
    now = timezone.now()
    claimed = (
        CommitmentJob.objects.filter(pk=job_id)
        .filter(
            Q(status=CommitmentJobStatus.PENDING)
            | Q(status=CommitmentJobStatus.RUNNING, started_at__lt=now - COMMITMENT_JOB_STALE_AFTER)
        )
        .update(status=CommitmentJobStatus.RUNNING, started_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:  # another worker has it, or it is over
        status = CommitmentJob.objects.filter(pk=job_id).values_list("status", flat=True).first()
        return status or ""
    job = CommitmentJob.objects.select_related("requested_by").get(pk=job_id)
    language = job.requested_by.language or settings.LANGUAGE_CODE
    try:
        with translation.override(language), transaction.atomic():
            commitment_publish(
                mandate_id=job.mandate_id,
                actor=job.requested_by,
                seed_expected_at=job.seed_expected_at,
            )
            CommitmentJob.objects.filter(pk=job_id, status=CommitmentJobStatus.RUNNING).update(
                status=CommitmentJobStatus.DONE, finished_at=timezone.now()
            )
    except DomainError as exc:
        if DrawCommitment.objects.filter(mandate_id=job.mandate_id).exists():
            # A stale claim re-run while the first worker was still at it: that one published.
            return CommitmentJobStatus.DONE
        _commitment_job_fail(job, code=exc.code, detail=str(exc.detail))
        return CommitmentJobStatus.FAILED
    except Exception:
        with translation.override(language):
            detail = _(
                "Le calcul a échoué sur une erreur inattendue ; l'équipe technique en est avertie."
            )
        _commitment_job_fail(job, code="internal_error", detail=detail)
        raise
    return CommitmentJobStatus.DONE


def _commitment_job_fail(job: CommitmentJob, *, code: str, detail: str) -> None:
    with transaction.atomic():
        failed = CommitmentJob.objects.filter(pk=job.pk, status=CommitmentJobStatus.RUNNING).update(
            status=CommitmentJobStatus.FAILED,
            finished_at=timezone.now(),
            error_code=code[:64],
            error_detail=detail,
        )
        if failed:
            audit_record(
                actor=None,
                verb="assembly.commitment_fail",
                target=job,
                after={"code": code, "detail": detail},
            )
