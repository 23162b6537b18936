"""Composition by sortition: mandate, quotas, invitations, volunteers, commitment, draw, replacement."""

from __future__ import annotations

import csv
import hmac
import io
import random
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assembly import sortition
from assembly.models import (
    DrawCommitment,
    Feature,
    FeatureKind,
    Invitation,
    InvitationBatch,
    InvitationStatus,
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
from assembly.rules import age_band_for, parse_age_band
from assembly.workflow import MANDATE, may_move
from civic.audit import audit_record
from civic.eligibility import decide, eligible_entries
from civic.errors import Conflict, InvalidTransition, NotFound, RuleViolation
from civic.identity import keyed_digest
from civic.models import RegisterEntry, User

_TOKEN_PURPOSE = "assembly-invitation"  # noqa: S105 - a digest purpose, not a secret


def _mandate_locked(mandate_id: int) -> Mandate:
    try:
        return Mandate.objects.select_for_update(of=("self",)).get(pk=mandate_id)
    except Mandate.DoesNotExist:
        raise NotFound(_("Ce mandat n'existe pas.")) from None


def _move(mandate: Mandate, target: str) -> None:
    if not may_move(MANDATE, mandate.status, target):
        raise InvalidTransition(
            _("Le mandat est « %(status)s » : cette étape n'est pas possible.")
            % {"status": mandate.get_status_display()}
        )
    mandate.status = target


# --- Mandate and quotas -------------------------------------------------------------------------


def mandate_create(*, actor: User, **fields: Any) -> Mandate:
    with transaction.atomic():
        mandate = Mandate.objects.create(**fields)
        audit_record(actor=actor, verb="assembly.mandate_create", target=mandate, after=fields)
    return mandate


def feature_add(
    *,
    mandate_id: int,
    actor: User,
    key: str,
    label: str,
    kind: str,
    quotas: Sequence[tuple[str, str, int, int]],
) -> Feature:
    """Add a criterion with its values `(value, label, min, max)`. Refused once anyone has
    volunteered: their features were recorded against the criteria that existed then."""
    with transaction.atomic():
        mandate = _mandate_locked(mandate_id)
        if mandate.status not in (MandateStatus.DRAFT, MandateStatus.RECRUITING) or (
            mandate.volunteers.exists()
        ):
            raise Conflict(
                _("Les critères ne changent plus une fois les premiers volontaires inscrits."),
                code="features_frozen",
            )
        if kind == FeatureKind.AGE_BAND:
            bad = [v for v, *_rest in quotas if parse_age_band(v) is None]
            if bad:
                raise RuleViolation(
                    _("Tranche d'âge invalide : %(values)s (ex. « 16-29 » ou « 60+ »).")
                    % {"values": ", ".join(bad)},
                    code="invalid_age_band",
                )
        try:
            with transaction.atomic():
                feature = Feature.objects.create(mandate=mandate, key=key, label=label, kind=kind)
                Quota.objects.bulk_create(
                    Quota(feature=feature, value=v, label=lbl, min=lo, max=hi)
                    for v, lbl, lo, hi in quotas
                )
        except IntegrityError:
            raise Conflict(
                _("Ce critère existe déjà, ou un quota est incohérent (min > max)."),
                code="feature_conflict",
            ) from None
        audit_record(
            actor=actor,
            verb="assembly.feature_add",
            target=feature,
            after={"key": key, "kind": kind, "quotas": [list(q) for q in quotas]},
        )
    return feature


def quota_set(*, quota_id: int, actor: User, min: int, max: int) -> Quota:
    with transaction.atomic():
        try:
            quota = Quota.objects.select_related("feature").get(pk=quota_id)
        except Quota.DoesNotExist:
            raise NotFound(_("Ce quota n'existe pas.")) from None
        mandate = _mandate_locked(quota.feature.mandate_id)
        if mandate.status not in (MandateStatus.DRAFT, MandateStatus.RECRUITING):
            raise Conflict(
                _("Les quotas sont figés par l'engagement publié."), code="quotas_frozen"
            )
        if min > max:
            raise RuleViolation(_("Le minimum dépasse le maximum."), code="invalid_quota")
        before = {"min": quota.min, "max": quota.max}
        quota.min, quota.max = min, max
        quota.save(update_fields=["min", "max"])
        audit_record(
            actor=actor,
            verb="assembly.quota_set",
            target=quota,
            before=before,
            after={"min": min, "max": max},
        )
    return quota


def mandate_open_recruitment(*, mandate_id: int, actor: User) -> Mandate:
    with transaction.atomic():
        mandate = _mandate_locked(mandate_id)
        if not Quota.objects.filter(feature__mandate=mandate).exists():
            raise Conflict(_("Définissez d'abord les critères et les quotas."), code="no_quotas")
        _move(mandate, MandateStatus.RECRUITING)
        mandate.save(update_fields=["status"])
        audit_record(actor=actor, verb="assembly.mandate_recruit", target=mandate)
    return mandate


# --- Stage one: invitations ---------------------------------------------------------------------


def invitations_draw(
    *, mandate_id: int, actor: User, count: int, seed: str | None = None
) -> InvitationBatch:
    """A uniformly random sample of `count` eligible register entries not yet invited. The sample
    is `random.Random(seed).sample()` over entry ids in ascending order, so it is reproducible from
    the seed recorded with the batch."""
    if count < 1:
        raise RuleViolation(_("Le nombre d'invitations doit être positif."), code="invalid_count")
    seed = seed or secrets.token_hex(16)
    with transaction.atomic():
        mandate = _mandate_locked(mandate_id)
        if mandate.status != MandateStatus.RECRUITING:
            raise InvalidTransition(
                _("Les invitations partent pendant l'appel aux volontaires."), code="not_recruiting"
            )
        population = list(
            eligible_entries(mandate.eligibility, on=timezone.localdate())
            .exclude(assembly_invitations__mandate=mandate)
            .order_by("id")
            .values_list("id", flat=True)
        )
        chosen = sorted(random.Random(seed).sample(population, min(count, len(population))))
        batch = InvitationBatch.objects.create(
            mandate=mandate,
            seed=seed,
            requested=count,
            population=len(population),
            created_by=actor,
        )
        Invitation.objects.bulk_create(
            Invitation(mandate=mandate, batch=batch, register_entry_id=entry_id)
            for entry_id in chosen
        )
        Mandate.objects.filter(pk=mandate.pk).update(
            invitation_count=mandate.invitation_count + len(chosen)
        )
        audit_record(
            actor=actor,
            verb="assembly.invitations_draw",
            target=batch,
            after={
                "seed": seed,
                "requested": count,
                "population": len(population),
                "invited": len(chosen),
            },
        )
    return batch


def invitation_token(invitation: Invitation) -> str:
    return f"{invitation.pk}.{keyed_digest(_TOKEN_PURPOSE, str(invitation.pk))[:24]}"


def invitation_from_token(token: str) -> Invitation | None:
    head, _sep, mac = (token or "").partition(".")
    if not head.isdigit() or not mac:
        return None
    expected = keyed_digest(_TOKEN_PURPOSE, head)[:24]
    if not hmac.compare_digest(expected, mac):
        return None
    return (
        Invitation.objects.select_related("mandate", "register_entry__district")
        .filter(pk=int(head))
        .first()
    )


_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet would evaluate a cell that starts like a formula (CSV injection).
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def invitations_csv(*, mandate_id: int, actor: User, base_url: str) -> str:
    """The mail-merge file: one line per invitation still unanswered."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["invitation", "nom", "prenoms", "adresse", "code_postal", "quartier", "lien", "code"]
    )
    invitations = (
        Invitation.objects.filter(mandate_id=mandate_id, status=InvitationStatus.SENT)
        .select_related("register_entry__district")
        .order_by("id")
    )
    count = 0
    for inv in invitations.iterator(chunk_size=500):
        entry = inv.register_entry
        token = invitation_token(inv)
        writer.writerow(
            [
                _csv_cell(v)
                for v in (
                    inv.pk,
                    entry.last_name,
                    entry.first_names,
                    entry.address,
                    entry.postcode,
                    entry.district.name,
                    f"{base_url}/assembly/volontaire/{token}/",
                    token,
                )
            ]
        )
        count += 1
    with transaction.atomic():
        audit_record(
            actor=actor,
            verb="assembly.invitations_export",
            target=("assembly.mandate", mandate_id),
            after={"rows": count},
        )
    return buffer.getvalue()


# --- Stage two: volunteers ----------------------------------------------------------------------


def volunteer_feature_values(
    mandate: Mandate, entry: RegisterEntry, declared: dict[str, str]
) -> dict[str, str | None]:
    """The volunteer's value for every criterion: age band and district from the register (facts),
    the others as declared."""
    values: dict[str, str | None] = {}
    for feature in Feature.objects.filter(mandate=mandate).prefetch_related("quotas"):
        allowed = [q.value for q in feature.quotas.all()]
        if feature.kind == FeatureKind.DISTRICT:
            values[feature.key] = entry.district.code
        elif feature.kind == FeatureKind.AGE_BAND:
            values[feature.key] = age_band_for(entry.birth_date, mandate.starts_on, allowed)
        else:
            value = declared.get(feature.key)
            if value not in allowed:
                raise RuleViolation(
                    _("Choisissez une réponse pour « %(label)s ».") % {"label": feature.label},
                    code="feature_value_missing",
                )
            values[feature.key] = value
    return values


def volunteer_signup(
    *,
    token: str,
    declared: dict[str, str],
    consent: bool,
    email: str = "",
    phone: str = "",
) -> Volunteer:
    invitation = invitation_from_token(token)
    if invitation is None:
        raise NotFound(_("Ce lien d'invitation n'est pas valide."), code="invalid_invitation")
    if not consent:
        raise RuleViolation(
            _("Votre accord est nécessaire pour participer au tirage."), code="consent_required"
        )
    with transaction.atomic():
        mandate = Mandate.objects.select_for_update(of=("self",)).get(pk=invitation.mandate_id)
        if mandate.status != MandateStatus.RECRUITING:
            raise InvalidTransition(
                _("L'appel aux volontaires de ce mandat est clos."), code="recruitment_closed"
            )
        claimed = Invitation.objects.filter(pk=invitation.pk, status=InvitationStatus.SENT).update(
            status=InvitationStatus.ACCEPTED, answered_at=timezone.now()
        )
        if not claimed:
            raise Conflict(_("Cette invitation a déjà reçu une réponse."), code="already_answered")
        entry = invitation.register_entry
        decision = decide(entry, mandate.eligibility, on=timezone.localdate())
        if not decision.eligible:
            raise RuleViolation(
                _("Vous ne remplissez plus les conditions pour participer."),
                code=decision.code,
                rule=decision.rule,
            )
        features = volunteer_feature_values(mandate, entry, declared)
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    volunteer = Volunteer.objects.create(
                        mandate=mandate,
                        invitation=invitation,
                        register_entry=entry,
                        pseudonym="V-" + secrets.token_hex(5),
                        features=features,
                        email=email,
                        phone=phone,
                        consent_at=timezone.now(),
                    )
                break
            except IntegrityError:  # a pseudonym collision: draw another
                continue
        else:  # pragma: no cover - 40 bits, five times
            raise Conflict(_("Réessayez."), code="pseudonym_collision")
        audit_record(
            actor=None,
            verb="assembly.volunteer_signup",
            target=volunteer,
            after={"pseudonym": volunteer.pseudonym},
        )
    return volunteer


def invitation_decline(*, token: str) -> None:
    invitation = invitation_from_token(token)
    if invitation is None:
        raise NotFound(_("Ce lien d'invitation n'est pas valide."), code="invalid_invitation")
    with transaction.atomic():
        if Invitation.objects.filter(pk=invitation.pk, status=InvitationStatus.SENT).update(
            status=InvitationStatus.DECLINED, answered_at=timezone.now()
        ):
            audit_record(actor=None, verb="assembly.invitation_decline", target=invitation)


def volunteer_withdraw(*, volunteer_id: int, actor: User | None) -> None:
    """Leave the pool; only before the commitment freezes it."""
    with transaction.atomic():
        volunteer = Volunteer.objects.select_related("mandate").get(pk=volunteer_id)
        mandate = _mandate_locked(volunteer.mandate_id)
        if mandate.status != MandateStatus.RECRUITING:
            raise Conflict(_("Le vivier est figé par l'engagement publié."), code="pool_frozen")
        Volunteer.objects.filter(pk=volunteer_id, withdrawn_at__isnull=True).update(
            withdrawn_at=timezone.now()
        )
        audit_record(actor=actor, verb="assembly.volunteer_withdraw", target=volunteer)


# --- Commitment and draw ------------------------------------------------------------------------


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


def _sortition_refusal(exc: sortition.SortitionError) -> RuleViolation:
    detail = str(exc)
    if exc.details:
        detail += " " + " ".join(exc.details)
    return RuleViolation(detail, code=exc.code, rule="sortition")


def commitment_publish(
    *, mandate_id: int, actor: User, seed_source: str, seed_expected_at: datetime
) -> DrawCommitment:
    """Freeze the pool and quotas, compute the lottery and publish their digest. The seed source
    must be a public random value that does not exist yet."""
    now = timezone.now()
    if seed_expected_at <= now:
        raise RuleViolation(
            _("L'aléa doit être une valeur publique future, connue après la publication."),
            code="seed_not_in_future",
        )
    if not seed_source.strip():
        raise RuleViolation(_("Décrivez la source publique de l'aléa."), code="seed_source_missing")
    with transaction.atomic():
        mandate = _mandate_locked(mandate_id)
        _move(mandate, MandateStatus.COMMITTED)
        volunteers = pool_volunteers(mandate)
        candidates = pool_candidates(volunteers)
        quotas = mandate_quotas(mandate)
        try:
            lottery = sortition.lottery_compute(candidates, quotas, mandate.size)
        except sortition.SortitionError as exc:
            raise _sortition_refusal(exc) from exc
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


def draw_run(*, mandate_id: int, actor: User, seed: str) -> DrawCommitment:
    """Record the public random value and seat the panel it selects from the committed lottery."""
    seed = seed.strip()
    if not seed:
        raise RuleViolation(_("Saisissez la valeur publique de l'aléa."), code="seed_missing")
    with transaction.atomic():
        mandate = _mandate_locked(mandate_id)
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
                rule="sortition",
            )
        _move(mandate, MandateStatus.SEATED)
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


# --- Replacement --------------------------------------------------------------------------------


def member_leave(*, member_id: int, actor: User, reason: str = "") -> Member:
    """The member leaves; the first waiting reserve whose arrival keeps every quota takes the seat,
    or, if none does, the first waiting reserve. Returns the member who left (with `replaced_by`)."""
    with transaction.atomic():
        try:
            mandate_id = Member.objects.values_list("mandate_id", flat=True).get(pk=member_id)
        except Member.DoesNotExist:
            raise NotFound(_("Ce membre n'existe pas.")) from None
        mandate = _mandate_locked(mandate_id)  # one replacement at a time per mandate
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


def mandate_close(*, mandate_id: int, actor: User) -> Mandate:
    """End the mandate once no session is pending (planned, published or open)."""
    from assembly.models import Session, SessionStatus

    with transaction.atomic():
        mandate = _mandate_locked(mandate_id)
        if Session.objects.filter(
            mandate=mandate,
            status__in=[SessionStatus.PLANNED, SessionStatus.PUBLISHED, SessionStatus.OPEN],
        ).exists():
            raise Conflict(
                _("Clôturez ou annulez d'abord les séances à venir."), code="sessions_pending"
            )
        _move(mandate, MandateStatus.CLOSED)
        mandate.save(update_fields=["status"])
        audit_record(actor=actor, verb="assembly.mandate_close", target=mandate)
    return mandate
