"""The draw: seating the panel the public round's randomness selects from the committed lottery,
its rerun, and replacement from the reserve."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
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
from assembly.selectors import draw_beacon
from assembly.services.common import mandate_locked, mandate_move
from assembly.services.pool import mandate_quotas, reserves_waiting
from assembly.sortition import beacon
from civic.audit import audit_record
from civic.errors import Conflict, InvalidTransition, NotFound, RuleViolation
from civic.models import User

logger = logging.getLogger(__name__)


def draw_run(
    *, mandate_id: int, actor: User, fetch: beacon.Fetcher | None = None
) -> DrawCommitment:
    """Seat the panel that the public round named by the commitment selects from the committed
    lottery. The seed is that round's randomness, as every configured drand relay serves it: nobody
    types it, and the draw waits until the round is produced. `fetch` replaces the HTTP fetch (the
    demo, the tests)."""
    commitment = DrawCommitment.objects.filter(mandate_id=mandate_id).first()
    if commitment is None:
        raise Conflict(_("Aucun engagement n'a été publié."), code="no_commitment")
    if commitment.seed:
        raise Conflict(_("Ce mandat est déjà tiré au sort."), code="already_drawn")
    if commitment.beacon_round is None:
        raise Conflict(
            _("Cet engagement ne désigne aucun tour public d'aléa : publiez-en un nouveau."),
            code="no_public_round",
        )
    now = timezone.now()
    if now < commitment.seed_expected_at:
        raise RuleViolation(
            _("L'aléa annoncé n'est pas encore connu : le tirage attend le %(when)s.")
            % {"when": timezone.localtime(commitment.seed_expected_at).strftime("%d/%m/%Y %H:%M")},
            code="seed_not_yet_public",
            rule=commitment.mandate.rules_reference,
        )
    # Fetched outside the transaction: the relays may take seconds, the mandate stays unlocked.
    round_ = _beacon_round(commitment.beacon_round, now=now, fetch=fetch)
    with transaction.atomic():
        mandate = mandate_locked(mandate_id)
        commitment = DrawCommitment.objects.select_for_update().get(pk=commitment.pk)
        if commitment.seed:
            raise Conflict(_("Ce mandat est déjà tiré au sort."), code="already_drawn")
        mandate_move(mandate, MandateStatus.SEATED)
        seed = round_.randomness
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
        commitment.beacon_signature = round_.signature
        commitment.seed_recorded_at = now
        commitment.ticket = outcome.ticket
        commitment.panel = outcome.panel
        commitment.reserve = outcome.reserve
        commitment.save(
            update_fields=[
                "seed",
                "beacon_signature",
                "seed_recorded_at",
                "ticket",
                "panel",
                "reserve",
            ]
        )
        mandate.save(update_fields=["status"])
        audit_record(
            actor=actor,
            verb="assembly.draw_run",
            target=commitment,
            after={
                "beacon_round": commitment.beacon_round,
                "seed": seed,
                "ticket": outcome.ticket,
                "panel": outcome.panel,
                "reserve": outcome.reserve,
            },
        )
    return commitment


def _beacon_messages() -> dict[str, str]:
    return {
        "beacon_not_due": _("Le tour public d'aléa n'est pas encore produit : réessayez bientôt."),
        "beacon_unavailable": _(
            "Les relais drand ne répondent pas tous : le tirage attend qu'ils servent le tour "
            "annoncé. Réessayez plus tard."
        ),
        "beacon_unsound": _("Un relais drand sert un tour invalide : le tirage est suspendu."),
        "beacon_disagreement": _(
            "Les relais drand ne servent pas le même aléa : le tirage est suspendu."
        ),
    }


def _beacon_round(number: int, *, now: datetime, fetch: beacon.Fetcher | None) -> beacon.Beacon:
    try:
        return beacon.beacon_fetch(
            beacon.QUICKNET,
            number,
            relays=settings.ASSEMBLY_DRAND_RELAYS,
            timeout=settings.ASSEMBLY_DRAND_TIMEOUT,
            now=now,
            fetch=fetch or beacon.http_fetch,
        )
    except beacon.BeaconError as exc:
        logger.warning("assembly draw: drand round %s not fetched (%s)", number, exc.code)
        message = _beacon_messages().get(exc.code, str(exc))
        raise Conflict(message, code=exc.code) from exc


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
        beacon=draw_beacon(commitment),
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
