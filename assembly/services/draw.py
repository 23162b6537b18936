"""The verifiable draw: commitment, seating the panel from the public seed, rerun, replacement
from the reserve."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Final

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
    Mandate,
    MandateStatus,
    Member,
    MemberSource,
    MemberStatus,
    Quota,
    Reserve,
    ReserveStatus,
    Volunteer,
)
from assembly.services.composition import mandate_locked, mandate_move
from assembly.workflow import MANDATE, may_move
from civic.audit import audit_record
from civic.errors import Conflict, DomainError, InvalidTransition, NotFound, RuleViolation
from civic.models import User


def pool_volunteers(mandate: Mandate) -> list[Volunteer]:
    return list(
        Volunteer.objects.filter(mandate=mandate, withdrawn_at__isnull=True).order_by("pseudonym")
    )


def pool_candidates(volunteers: Iterable[Volunteer]) -> list[sortition.Candidate]:
    return [sortition.Candidate(v.pseudonym, dict(v.features)) for v in volunteers]


def mandate_quotas(mandate: Mandate) -> list[sortition.QuotaSpec]:
    return [
        sortition.QuotaSpec(q.feature.key, q.value, q.min, q.max)
        for q in Quota.objects.filter(feature__mandate=mandate).select_related("feature")
    ]


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


def _commitment_inputs_check(
    *, seed_source: str, seed_expected_at: datetime, now: datetime
) -> None:
    if seed_expected_at <= now:
        raise RuleViolation(
            _("L'aléa doit être une valeur publique future, connue après la publication."),
            code="seed_not_in_future",
        )
    if not seed_source.strip():
        raise RuleViolation(_("Décrivez la source publique de l'aléa."), code="seed_source_missing")


def commitment_publish(
    *, mandate_id: int, actor: User, seed_source: str, seed_expected_at: datetime
) -> DrawCommitment:
    """Freeze the pool and quotas, compute the lottery and publish their digest. The seed source
    must be a public random value that does not exist yet."""
    now = timezone.now()
    _commitment_inputs_check(seed_source=seed_source, seed_expected_at=seed_expected_at, now=now)
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
            },
        )
    return commitment


# A worker that claimed a job and has not finished it after this long is presumed dead (the solver
# takes about a minute for the largest pools): another worker may claim the job again.
COMMITMENT_JOB_STALE_AFTER: Final = timedelta(minutes=15)


def commitment_request(
    *, mandate_id: int, actor: User, seed_source: str, seed_expected_at: datetime
) -> CommitmentJob:
    """Ask a worker to publish the commitment (see `commitment_publish`). The same checks as the
    publication are made at once, so an obvious mistake is refused in the page; the lottery itself
    is computed by `assembly.tasks.commitment_compute` once this transaction commits. A failed job
    is asked again with this call; a job in progress refuses a second request."""
    from assembly.tasks import commitment_compute

    now = timezone.now()
    _commitment_inputs_check(seed_source=seed_source, seed_expected_at=seed_expected_at, now=now)
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
            "seed_source": seed_source.strip(),
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
        commitment_compute.delay_on_commit(job.pk)
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
                seed_source=job.seed_source,
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


def draw_run(*, mandate_id: int, actor: User, seed: str) -> DrawCommitment:
    """Record the public random value and seat the panel it selects from the committed lottery."""
    seed = seed.strip()
    if not seed:
        raise RuleViolation(_("Saisissez la valeur publique de l'aléa."), code="seed_missing")
    with transaction.atomic():
        mandate = mandate_locked(mandate_id)
        commitment = DrawCommitment.objects.filter(mandate=mandate).first()
        if commitment is None:
            raise Conflict(_("Aucun engagement n'a été publié."), code="no_commitment")
        now = timezone.now()
        if now < commitment.seed_expected_at:
            raise RuleViolation(
                _("L'aléa annoncé n'est pas encore connu : le tirage attend le %(when)s.")
                % {
                    "when": timezone.localtime(commitment.seed_expected_at).strftime(
                        "%d/%m/%Y %H:%M"
                    )
                },
                code="seed_not_yet_public",
                rule=mandate.rules_reference,
            )
        mandate_move(mandate, MandateStatus.SEATED)
        lottery = sortition.Lottery.from_json(commitment.payload["lottery"])
        outcome = sortition.draw_select(
            lottery=lottery,
            pids=[row["id"] for row in commitment.payload["pool"]],
            commitment_digest=commitment.digest,
            seed=seed,
            reserve_size=mandate.reserve_size,
        )
        by_pid = {
            v.pseudonym: v
            for v in Volunteer.objects.filter(mandate=mandate).select_related(
                "register_entry__district"
            )
        }
        Member.objects.bulk_create(
            _member_for(mandate, by_pid[pid], seat, MemberSource.DRAW, now)
            for seat, pid in enumerate(outcome.panel, start=1)
        )
        Reserve.objects.bulk_create(
            Reserve(mandate=mandate, volunteer=by_pid[pid], rank=rank)
            for rank, pid in enumerate(outcome.reserve, start=1)
        )
        commitment.seed = seed
        commitment.seed_recorded_at = now
        commitment.ticket = outcome.ticket
        commitment.panel = outcome.panel
        commitment.reserve = outcome.reserve
        commitment.save(update_fields=["seed", "seed_recorded_at", "ticket", "panel", "reserve"])
        mandate.save(update_fields=["status"])
        audit_record(
            actor=actor,
            verb="assembly.draw_run",
            target=commitment,
            after={
                "seed": seed,
                "ticket": outcome.ticket,
                "panel": outcome.panel,
                "reserve": outcome.reserve,
            },
        )
    return commitment


def _member_for(
    mandate: Mandate, volunteer: Volunteer, seat: int, source: str, when: datetime
) -> Member:
    entry = volunteer.register_entry
    # Volunteers lose their register link only when the mandate closes, after its last draw.
    assert entry is not None, "a volunteer of an open mandate keeps its register entry"
    return Member(
        mandate=mandate,
        volunteer=volunteer,
        seat=seat,
        source=source,
        first_name=(entry.first_names.split() or [""])[0],
        district_name=entry.district.name,
        joined_at=when,
    )


def draw_verify(*, mandate_id: int, recompute: bool = True) -> sortition.RerunReport:
    commitment = DrawCommitment.objects.filter(mandate_id=mandate_id).first()
    if commitment is None or not commitment.seed:
        raise Conflict(_("Ce mandat n'a pas encore été tiré au sort."), code="not_drawn")
    # The reserve as drawn: its order is part of the published result, whoever was called since.
    return sortition.rerun(
        commitment.payload,
        published_digest=commitment.digest,
        seed=commitment.seed,
        published_panel=commitment.panel,
        published_reserve=commitment.reserve,
        recompute=recompute,
        seed_recorded_at=commitment.seed_recorded_at.isoformat()
        if commitment.seed_recorded_at
        else None,
    )


def member_leave(*, member_id: int, actor: User, reason: str = "") -> Member:
    """The member leaves; the first waiting reserve whose arrival keeps every quota takes the seat,
    or, if none does, the first waiting reserve. Returns the member who left (with `replaced_by`)."""
    with transaction.atomic():
        try:
            mandate_id = Member.objects.values_list("mandate_id", flat=True).get(pk=member_id)
        except Member.DoesNotExist:
            raise NotFound(_("Ce membre n'existe pas.")) from None
        mandate = mandate_locked(mandate_id)  # one replacement at a time per mandate
        member = Member.objects.select_related("volunteer").get(pk=member_id)
        if member.status != MemberStatus.ACTIVE:
            raise InvalidTransition(
                _("Ce membre n'est plus en fonction."), code="member_not_active"
            )
        now = timezone.now()
        staying = list(
            Member.objects.filter(mandate=mandate, status=MemberStatus.ACTIVE)
            .exclude(pk=member.pk)
            .select_related("volunteer")
        )
        waiting = list(
            Reserve.objects.filter(mandate=mandate, status=ReserveStatus.WAITING)
            .select_related("volunteer__register_entry__district")
            .order_by("rank")
        )
        quotas = mandate_quotas(mandate)
        pool = {m.volunteer.pseudonym: m.volunteer.features for m in staying}
        chosen: Reserve | None = None
        for reserve in waiting:
            pool_with = {**pool, reserve.volunteer.pseudonym: reserve.volunteer.features}
            if not sortition.quota_violations(list(pool_with), pool_with, quotas):
                chosen = reserve
                break
        quotas_kept = chosen is not None
        if chosen is None and waiting:
            chosen = waiting[0]
        # Free the seat before the replacement takes it (one active holder per seat).
        member.status = MemberStatus.REPLACED if chosen else MemberStatus.LEFT
        member.left_at = now
        member.left_reason = reason[:200]
        member.save(update_fields=["status", "left_at", "left_reason"])
        replacement = None
        if chosen is not None:
            replacement = _member_for(
                mandate, chosen.volunteer, member.seat, MemberSource.RESERVE, now
            )
            replacement.save()
            skipped = [r.pk for r in waiting if r.rank < chosen.rank]
            Reserve.objects.filter(pk=chosen.pk).update(status=ReserveStatus.CALLED)
            member.replaced_by = replacement
            member.save(update_fields=["replaced_by"])
        else:
            skipped = []
        audit_record(
            actor=actor,
            verb="assembly.member_leave",
            target=member,
            after={
                "seat": member.seat,
                "reason": member.left_reason,
                "replacement_pseudonym": chosen.volunteer.pseudonym if chosen else None,
                "reserve_rank": chosen.rank if chosen else None,
                "quotas_kept": quotas_kept,
                "passed_over_reserve_ids": skipped,
            },
        )
    return member
