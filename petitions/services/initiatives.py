"""The lifecycle of an initiative: one service per transition, each audited and notified."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic.audit import audit_record
from civic.eligibility import decide, eligible_entries
from civic.errors import (
    Conflict,
    DomainError,
    InvalidTransition,
    NotEligible,
    NotFound,
    NotVerified,
    PermissionDenied,
    RuleViolation,
)
from civic.models import District, User, WebhookEvent
from civic.webhooks import webhook_emit
from petitions.models import (
    MAX_TRACKS,
    TOTAL_TRACK,
    Initiative,
    InitiativeCount,
    InitiativeTrack,
    InstrumentType,
    Promoter,
    RejectionReason,
    RungKind,
    Status,
    TrackRung,
)
from petitions.models.instruments import in_language_lazy
from petitions.rules import is_initiator, is_moderator, share_threshold
from petitions.services._common import (
    lock_initiative,
    moderators,
    notify_all,
    people_of,
)
from petitions.workflow import can_transition

EDITABLE_FIELDS = ("title", "summary", "body", "district_id")


def _snapshot(initiative: Initiative) -> dict[str, Any]:
    return {"status": initiative.status}


def _require_transition(initiative: Initiative, target: str) -> None:
    if not can_transition(initiative.status, target):
        raise InvalidTransition(
            _("Impossible de passer de « %(from)s » à « %(to)s ».")
            % {"from": Status(initiative.status).label, "to": Status(target).label}
        )


def _require_initiator(actor: User, initiative: Initiative) -> None:
    if not is_initiator(actor, initiative):
        raise PermissionDenied(_("Seule la personne qui a lancé l'initiative peut faire cela."))


def _require_moderator(actor: User) -> None:
    if not is_moderator(actor):
        raise PermissionDenied(_("Cette action est réservée aux modérateurs."))


def _instrument_types(slugs: list[str]) -> list[InstrumentType]:
    if not slugs:
        raise DomainError(_("Choisissez au moins un instrument."), code="instrument_required")
    unique = list(dict.fromkeys(slugs))
    if len(unique) > MAX_TRACKS:
        raise DomainError(_("Trop d'instruments."), code="too_many_instruments")
    found = {t.slug: t for t in InstrumentType.objects.filter(slug__in=unique, active=True)}
    missing = [s for s in unique if s not in found]
    if missing:
        raise DomainError(
            _("Instrument inconnu : %(slugs)s.") % {"slugs": ", ".join(missing)},
            code="instrument_unknown",
        )
    types = [found[s] for s in unique]
    if sum(1 for t in types if t.quarter_limit) > 1:
        raise DomainError(
            _(
                "Une initiative ne peut porter qu'une seule demande soumise à la limite trimestrielle."
            ),
            code="instrument_conflict",
        )
    return types


def _set_tracks(initiative: Initiative, types: list[InstrumentType]) -> None:
    initiative.tracks.all().delete()
    InitiativeTrack.objects.bulk_create(
        InitiativeTrack(initiative=initiative, instrument_type=t, position=i, predicate=t.predicate)
        for i, t in enumerate(types)
    )


def _district(district_id: int | None) -> int | None:
    if district_id is not None and not District.objects.filter(pk=district_id).exists():
        raise NotFound(_("Quartier introuvable."), code="district_not_found")
    return district_id


@transaction.atomic
def initiative_create(
    *,
    actor: User,
    title: str,
    summary: str,
    body: str,
    instrument_slugs: list[str],
    district_id: int | None = None,
) -> Initiative:
    if not actor.is_verified:
        raise NotVerified(_("Vérifiez votre compte pour lancer une initiative."))
    types = _instrument_types(instrument_slugs)
    now = timezone.now()
    initiative = Initiative.objects.create(
        title=title,
        summary=summary,
        body=body,
        district_id=_district(district_id),
        initiator=actor,
        created_at=now,
        updated_at=now,
    )
    _set_tracks(initiative, types)
    audit_record(
        actor=actor, verb="initiative.created", target=initiative, after=_snapshot(initiative)
    )
    return initiative


@transaction.atomic
def initiative_update(
    *, initiative_id: int, actor: User, instrument_slugs: list[str] | None = None, **fields: Any
) -> Initiative:
    initiative = lock_initiative(initiative_id)
    _require_initiator(actor, initiative)
    if initiative.status != Status.DRAFT:
        raise InvalidTransition(
            _("Seul un brouillon peut être modifié."), code="initiative_not_editable"
        )
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(f"Unknown fields: {sorted(unknown)}", code="invalid")
    before = {f: getattr(initiative, f) for f in fields}
    if "district_id" in fields:
        _district(fields["district_id"])
    for name, value in fields.items():
        setattr(initiative, name, value)
    if instrument_slugs is not None:
        types = _instrument_types(instrument_slugs)
        _set_tracks(initiative, types)
        # The promoters co-signed another text: they co-sign again.
        initiative.promoters.update(cosigned_at=None)
    initiative.updated_at = timezone.now()
    initiative.save()
    audit_record(
        actor=actor,
        verb="initiative.edited",
        target=initiative,
        before=before,
        after={**{f: getattr(initiative, f) for f in fields}, "instruments": instrument_slugs},
    )
    return initiative


@transaction.atomic
def promoter_invite(*, initiative_id: int, actor: User, email: str) -> Promoter:
    initiative = lock_initiative(initiative_id)
    _require_initiator(actor, initiative)
    if initiative.status != Status.DRAFT:
        raise InvalidTransition(
            _("Les porteurs s'invitent pendant le brouillon."), code="initiative_not_editable"
        )
    invitee = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if invitee is None:
        raise NotFound(
            _("Aucun compte n'utilise cette adresse : la personne doit d'abord créer son compte."),
            code="account_not_found",
        )
    if invitee.pk == initiative.initiator_id:
        raise Conflict(_("Vous portez déjà cette initiative."), code="already_promoter")
    promoter, created = Promoter.objects.get_or_create(
        initiative=initiative, user=invitee, defaults={"invited_at": timezone.now()}
    )
    if created:
        audit_record(
            actor=actor,
            verb="initiative.promoter_invited",
            target=initiative,
            after={"user_id": invitee.pk},
        )
        notify_all(
            [invitee],
            kind="petitions.promoter_invited",
            subject=gettext_lazy("Invitation à porter une initiative"),
            body=format_lazy(
                gettext_lazy(
                    "Vous êtes invité·e à porter l'initiative « {title} ». Cosignez-la depuis sa page."
                ),
                title=initiative.title,
            ),
            url=initiative.get_absolute_url(),
        )
    return promoter


@transaction.atomic
def promoter_cosign(*, initiative_id: int, user: User) -> Promoter:
    initiative = lock_initiative(initiative_id)
    promoter = Promoter.objects.filter(initiative=initiative, user=user).first()
    if promoter is None:
        raise PermissionDenied(_("Vous n'êtes pas invité·e à porter cette initiative."))
    if initiative.status != Status.DRAFT:
        raise InvalidTransition(
            _("L'initiative a déjà été déposée."), code="initiative_not_editable"
        )
    if not user.is_verified:
        raise NotVerified(_("Vérifiez votre compte pour cosigner."))
    assert user.register_entry is not None
    today = timezone.localdate()
    tracks = list(initiative.tracks.all())
    decisions = [decide(user.register_entry, t.predicate, on=today) for t in tracks]
    if not any(d.eligible for d in decisions):
        raise NotEligible(
            _("Vous ne remplissez les conditions d'aucun volet de cette initiative."),
            rule=", ".join(sorted({d.rule for d in decisions})),
        )
    if promoter.cosigned_at is None:
        promoter.cosigned_at = timezone.now()
        promoter.save(update_fields=["cosigned_at"])
        audit_record(actor=user, verb="initiative.promoter_cosigned", target=initiative)
    return promoter


def promoters_needed(initiative: Initiative) -> int:
    needed = max((t.instrument_type.min_promoters for t in initiative.tracks.all()), default=1)
    return int(needed)


def promoters_cosigned(initiative: Initiative) -> int:
    # The initiator counts as the first promoter.
    return 1 + initiative.promoters.filter(cosigned_at__isnull=False).count()


@transaction.atomic
def initiative_submit(*, initiative_id: int, actor: User) -> Initiative:
    initiative = lock_initiative(initiative_id)
    _require_initiator(actor, initiative)
    _require_transition(initiative, Status.SUBMITTED)
    tracks = list(initiative.tracks.select_related("instrument_type"))
    if not tracks:
        raise DomainError(_("Choisissez au moins un instrument."), code="instrument_required")
    strictest = max(tracks, key=lambda t: t.instrument_type.min_promoters).instrument_type
    have = promoters_cosigned(initiative)
    if have < strictest.min_promoters:
        raise RuleViolation(
            _("Il faut %(need)s porteurs ayant cosigné (vous êtes %(have)s).")
            % {"need": strictest.min_promoters, "have": have},
            code="promoters_missing",
            rule=strictest.legal_basis,
        )
    before = _snapshot(initiative)
    initiative.status = Status.SUBMITTED
    initiative.submitted_at = initiative.updated_at = timezone.now()
    initiative.save()
    audit_record(
        actor=actor,
        verb="initiative.submitted",
        target=initiative,
        before=before,
        after=_snapshot(initiative),
    )
    notify_all(
        [*people_of(initiative), *moderators()],
        kind="petitions.submitted",
        subject=gettext_lazy("Initiative déposée"),
        body=format_lazy(
            gettext_lazy("L'initiative « {title} » a été déposée pour examen."),
            title=initiative.title,
        ),
        url=initiative.get_absolute_url(),
    )
    return initiative


@transaction.atomic
def initiative_review_start(*, initiative_id: int, actor: User) -> Initiative:
    initiative = lock_initiative(initiative_id)
    _require_moderator(actor)
    _require_transition(initiative, Status.IN_REVIEW)
    before = _snapshot(initiative)
    initiative.status = Status.IN_REVIEW
    initiative.review_started_at = initiative.updated_at = timezone.now()
    initiative.reviewer = actor
    initiative.save()
    audit_record(
        actor=actor,
        verb="initiative.review_started",
        target=initiative,
        before=before,
        after=_snapshot(initiative),
    )
    notify_all(
        people_of(initiative),
        kind="petitions.in_review",
        subject=gettext_lazy("Initiative en cours d'examen"),
        body=format_lazy(
            gettext_lazy("La ville examine la recevabilité de « {title} »."), title=initiative.title
        ),
        url=initiative.get_absolute_url(),
    )
    return initiative


def _resolve_tracks(initiative: Initiative) -> list[dict[str, Any]]:
    """Fix each track's thresholds: a share of the eligible population is computed now and stored."""
    today = timezone.localdate()
    resolved = []
    tracks = list(
        initiative.tracks.select_related("instrument_type").prefetch_related(
            "instrument_type__rungs"
        )
    )
    for track in tracks:
        instrument = track.instrument_type
        rungs = list(instrument.rungs.all())
        population = None
        if any(r.kind == RungKind.SHARE for r in rungs):
            population = eligible_entries(instrument.predicate, on=today).count()
        track.predicate = instrument.predicate
        track.population_at_open = population
        track.save(update_fields=["predicate", "population_at_open"])
        for rung in rungs:
            if rung.kind == RungKind.SHARE:
                assert population is not None and rung.numerator and rung.denominator
                threshold = share_threshold(
                    population=population, numerator=rung.numerator, denominator=rung.denominator
                )
            else:
                assert rung.absolute_value
                threshold = rung.absolute_value
            TrackRung.of_rung(track, rung, threshold=threshold).save()
            resolved.append({"track": track.position, "rung": rung.order, "threshold": threshold})
    return resolved


@transaction.atomic
def initiative_publish(*, initiative_id: int, actor: User) -> Initiative:
    initiative = lock_initiative(initiative_id)
    _require_moderator(actor)
    _require_transition(initiative, Status.COLLECTING)
    tracks = list(initiative.tracks.select_related("instrument_type"))
    # One window for every track: the shortest, so that no track collects beyond its own rule.
    window = min(t.instrument_type.window_days for t in tracks)
    now = timezone.now()
    before = _snapshot(initiative)
    resolved = _resolve_tracks(initiative)
    initiative.status = Status.COLLECTING
    initiative.published_at = initiative.updated_at = now
    initiative.closes_at = now + timedelta(days=window)
    initiative.save()
    InitiativeCount.objects.bulk_create(
        InitiativeCount(initiative=initiative, track=position, count=0, updated_at=now)
        for position in [TOTAL_TRACK, *(t.position for t in tracks)]
    )
    audit_record(
        actor=actor,
        verb="initiative.published",
        target=initiative,
        before=before,
        after={**_snapshot(initiative), "closes_at": initiative.closes_at, "thresholds": resolved},
    )
    webhook_emit(
        event=WebhookEvent.INITIATIVE_PUBLISHED,
        payload={
            "initiative_id": initiative.pk,
            "title": initiative.title,
            "published_at": initiative.published_at,
            "closes_at": initiative.closes_at,
            "instruments": [t.instrument_type.slug for t in tracks],
            "url": f"{settings.SITE_URL}{initiative.get_absolute_url()}",
        },
    )
    notify_all(
        people_of(initiative),
        kind="petitions.published",
        subject=gettext_lazy("La collecte est ouverte"),
        body=format_lazy(
            gettext_lazy("L'initiative « {title} » recueille des signatures jusqu'au {closes}."),
            title=initiative.title,
            closes=timezone.localtime(initiative.closes_at).strftime("%d/%m/%Y %H:%M"),
        ),
        url=initiative.get_absolute_url(),
    )
    return initiative


@transaction.atomic
def initiative_reject(
    *, initiative_id: int, actor: User, reason_code: str, text: str = ""
) -> Initiative:
    initiative = lock_initiative(initiative_id)
    _require_moderator(actor)
    _require_transition(initiative, Status.REJECTED)
    reason = RejectionReason.objects.filter(code=reason_code, active=True).first()
    if reason is None:
        raise DomainError(_("Motif d'irrecevabilité inconnu."), code="rejection_reason_unknown")
    before = _snapshot(initiative)
    initiative.status = Status.REJECTED
    initiative.rejected_at = initiative.updated_at = timezone.now()
    initiative.rejection_reason = reason
    initiative.rejection_text = text
    initiative.save()
    audit_record(
        actor=actor,
        verb="initiative.rejected",
        target=initiative,
        before=before,
        after={**_snapshot(initiative), "reason": reason.code, "text": text},
    )
    notify_all(
        people_of(initiative),
        kind="petitions.rejected",
        subject=gettext_lazy("Initiative déclarée irrecevable"),
        body=format_lazy(
            gettext_lazy("L'initiative « {title} » est irrecevable : {reason}. {text}"),
            title=initiative.title,
            reason=in_language_lazy(reason.label, reason.label_en),
            text=text,
        ),
        url=initiative.get_absolute_url(),
    )
    return initiative


@transaction.atomic
def initiative_withdraw(*, initiative_id: int, actor: User) -> Initiative:
    initiative = lock_initiative(initiative_id)
    _require_initiator(actor, initiative)
    _require_transition(initiative, Status.WITHDRAWN)
    now = timezone.now()
    was_collecting = initiative.status == Status.COLLECTING
    if was_collecting and initiative.closes_at is not None and initiative.closes_at <= now:
        # The deadline has passed even if the closing job has not run yet: it is closed.
        raise InvalidTransition(
            _("La collecte est close : l'initiative ne peut plus être retirée.")
        )
    before = _snapshot(initiative)
    initiative.status = Status.WITHDRAWN
    initiative.withdrawn_at = initiative.updated_at = now
    initiative.save()
    audit_record(
        actor=actor,
        verb="initiative.withdrawn",
        target=initiative,
        before=before,
        after=_snapshot(initiative),
    )
    notify_all(
        [*people_of(initiative), *(moderators() if before["status"] != Status.DRAFT else [])],
        kind="petitions.withdrawn",
        subject=gettext_lazy("Initiative retirée"),
        body=format_lazy(
            gettext_lazy("L'initiative « {title} » a été retirée par son initiateur."),
            title=initiative.title,
        ),
        url=initiative.get_absolute_url(),
    )
    if was_collecting:
        from petitions.tasks import notify_signers

        notify_signers.delay_on_commit(initiative.pk, "petitions.withdrawn")
    return initiative
