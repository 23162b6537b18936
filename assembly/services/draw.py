"""The draw: seating the panel the public seed selects from the committed lottery, its rerun,
and replacement from the reserve."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assembly import sortition
from assembly.models import (
    DrawCommitment,
    Mandate,
    MandateStatus,
    Member,
    MemberSource,
    MemberStatus,
    Reserve,
    ReserveStatus,
    Volunteer,
)
from assembly.rules import volunteer_may_be_drawn
from assembly.services.common import mandate_locked, mandate_move
from assembly.services.pool import mandate_quotas, reserves_waiting
from civic.audit import audit_record
from civic.errors import Conflict, InvalidTransition, NotFound, RuleViolation
from civic.models import User


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
    """The member leaves; the first waiting reserve who may still be drawn and whose arrival keeps
    every quota takes the seat, or, if none does, the first waiting reserve who may still be drawn.
    Returns the member who left (with `replaced_by`)."""
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
        waiting = reserves_waiting(mandate)
        chosen, quotas_kept = _replacement_choose(mandate, member, waiting)
        replacement = _seat_free(mandate, member, chosen, reason=reason, when=now)
        if chosen is not None and replacement is not None:
            Reserve.objects.filter(pk=chosen.pk).update(status=ReserveStatus.CALLED)
            member.replaced_by = replacement
            member.save(update_fields=["replaced_by"])
        skipped = [r.pk for r in waiting if chosen is not None and r.rank < chosen.rank]
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


def _replacement_choose(
    mandate: Mandate, leaving: Member, waiting: list[Reserve]
) -> tuple[Reserve | None, bool]:
    """The reserve who takes the seat, and whether every quota still holds with them."""
    today = timezone.localdate()
    callable_ = [
        r
        for r in waiting
        if volunteer_may_be_drawn(r.volunteer, eligibility=mandate.eligibility, on=today).eligible
    ]
    staying = (
        Member.objects.filter(mandate=mandate, status=MemberStatus.ACTIVE)
        .exclude(pk=leaving.pk)
        .select_related("volunteer")
    )
    pool = {m.volunteer.pseudonym: m.volunteer.features for m in staying}
    quotas = mandate_quotas(mandate)
    for reserve in callable_:
        pool_with = {**pool, reserve.volunteer.pseudonym: reserve.volunteer.features}
        if not sortition.quota_violations(list(pool_with), pool_with, quotas):
            return reserve, True
    return (callable_[0] if callable_ else None), False


def _seat_free(
    mandate: Mandate, member: Member, chosen: Reserve | None, *, reason: str, when: datetime
) -> Member | None:
    """The member leaves the seat, and the chosen reserve (if any) takes it: in this order, since
    a seat has one active holder. Returns the new member."""
    member.status = MemberStatus.REPLACED if chosen else MemberStatus.LEFT
    member.left_at = when
    member.left_reason = reason[:200]
    member.save(update_fields=["status", "left_at", "left_reason"])
    if chosen is None:
        return None
    replacement = _member_for(mandate, chosen.volunteer, member.seat, MemberSource.RESERVE, when)
    replacement.save()
    return replacement
