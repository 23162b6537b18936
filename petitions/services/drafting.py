"""Drafting an initiative: creating and editing it, inviting promoters, co-signing."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic.audit import audit_record
from civic.errors import (
    Conflict,
    DomainError,
    InvalidTransition,
    NotEligible,
    NotFound,
    NotVerified,
    PermissionDenied,
)
from civic.models import District, User
from petitions.models import MAX_TRACKS, Initiative, InitiativeTrack, InstrumentType, Promoter
from petitions.rules import may_cosign, promoters_required
from petitions.services._common import lock_initiative, notify_all, require_initiator
from petitions.workflow import EDITABLE

EDITABLE_FIELDS = ("title", "summary", "body", "district_id")


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
        actor=actor,
        verb="initiative.created",
        target=initiative,
        after={"status": initiative.status},
    )
    return initiative


@transaction.atomic
def initiative_update(
    *, initiative_id: int, actor: User, instrument_slugs: list[str] | None = None, **fields: Any
) -> Initiative:
    initiative = lock_initiative(initiative_id)
    require_initiator(actor, initiative)
    if initiative.status not in EDITABLE:
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
def promoter_invite(*, initiative_id: int, actor: User, email: str) -> Promoter | None:
    """Invite the account using `email`, if any. The initiator gets the same answer whether or not
    an account uses the address (None when none does): the form cannot be used to learn who has an
    account. An invitation is listed on the initiative only once its promoter has co-signed."""
    initiative = lock_initiative(initiative_id)
    require_initiator(actor, initiative)
    if initiative.status not in EDITABLE:
        raise InvalidTransition(
            _("Les porteurs s'invitent pendant le brouillon."), code="initiative_not_editable"
        )
    invitee = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if invitee is None:
        return None
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
    if initiative.status not in EDITABLE:
        raise InvalidTransition(
            _("L'initiative a déjà été déposée."), code="initiative_not_editable"
        )
    if not user.is_verified:
        raise NotVerified(_("Vérifiez votre compte pour cosigner."))
    assert user.register_entry is not None
    predicates = [t.predicate for t in initiative.tracks.all()]
    decisions = may_cosign(user.register_entry, predicates, on=timezone.localdate())
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
    return promoters_required(t.instrument_type for t in initiative.tracks.all())


def promoters_cosigned(initiative: Initiative) -> int:
    # The initiator counts as the first promoter.
    return 1 + initiative.promoters.filter(cosigned_at__isnull=False).count()
