"""The lifecycle of an initiative after drafting: one service per transition, each through the
transition table (`services/transitions.py`), audited and notified."""

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
from civic.eligibility import eligible_entries
from civic.errors import DomainError, InvalidTransition, RuleViolation
from civic.models import User, WebhookEvent
from civic.webhooks import webhook_emit
from petitions.models import (
    TOTAL_TRACK,
    Initiative,
    InitiativeCount,
    RejectionReason,
    RungKind,
    Status,
    TrackRung,
)
from petitions.models.instruments import in_language_lazy
from petitions.rules import may_withdraw, share_threshold
from petitions.services._common import (
    lock_initiative,
    moderators,
    notify_all,
    people_of,
    require_initiator,
    require_moderator,
    signers_notify_later,
)
from petitions.services.drafting import promoters_cosigned
from petitions.services.transitions import initiative_move, transition_check


def _snapshot(initiative: Initiative) -> dict[str, Any]:
    return {"status": initiative.status}


@transaction.atomic
def initiative_submit(*, initiative_id: int, actor: User) -> Initiative:
    initiative = lock_initiative(initiative_id)
    require_initiator(actor, initiative)
    transition_check(initiative, Status.SUBMITTED)
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
    before = initiative_move(initiative, Status.SUBMITTED, now=timezone.now())
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
    require_moderator(actor)
    transition_check(initiative, Status.IN_REVIEW)
    before = initiative_move(initiative, Status.IN_REVIEW, now=timezone.now(), reviewer=actor)
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
    require_moderator(actor)
    transition_check(initiative, Status.COLLECTING)
    tracks = list(initiative.tracks.select_related("instrument_type"))
    # One window for every track: the shortest, so that no track collects beyond its own rule.
    window = min(t.instrument_type.window_days for t in tracks)
    now = timezone.now()
    resolved = _resolve_tracks(initiative)
    before = initiative_move(
        initiative, Status.COLLECTING, now=now, closes_at=now + timedelta(days=window)
    )
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
    require_moderator(actor)
    transition_check(initiative, Status.REJECTED)
    reason = RejectionReason.objects.filter(code=reason_code, active=True).first()
    if reason is None:
        raise DomainError(_("Motif d'irrecevabilité inconnu."), code="rejection_reason_unknown")
    before = initiative_move(
        initiative,
        Status.REJECTED,
        now=timezone.now(),
        rejection_reason=reason,
        rejection_text=text,
    )
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
    require_initiator(actor, initiative)
    transition_check(initiative, Status.WITHDRAWN)
    now = timezone.now()
    was_collecting = initiative.status == Status.COLLECTING
    if not may_withdraw(initiative, now=now):
        # The deadline has passed even if the closing job has not run yet: it is closed.
        raise InvalidTransition(
            _("La collecte est close : l'initiative ne peut plus être retirée.")
        )
    before = initiative_move(initiative, Status.WITHDRAWN, now=now)
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
        signers_notify_later(initiative.pk, "petitions.withdrawn")
    return initiative
