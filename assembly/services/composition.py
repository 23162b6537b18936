"""Composition, stage one: the mandate, its criteria and quotas, the call for volunteers opened,
and the mandate closed. Invitations and volunteers are in `recruitment`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from assembly.models import (
    Feature,
    FeatureKind,
    Invitation,
    Mandate,
    MandateStatus,
    Quota,
    Session,
    SessionStatus,
    Volunteer,
)
from assembly.rules import parse_age_band
from assembly.services.common import mandate_locked, mandate_move
from civic.audit import audit_record
from civic.errors import Conflict, NotFound, RuleViolation
from civic.models import User


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
        mandate = mandate_locked(mandate_id)
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
        mandate = mandate_locked(quota.feature.mandate_id)
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
        mandate = mandate_locked(mandate_id)
        if not Quota.objects.filter(feature__mandate=mandate).exists():
            raise Conflict(_("Définissez d'abord les critères et les quotas."), code="no_quotas")
        mandate_move(mandate, MandateStatus.RECRUITING)
        mandate.save(update_fields=["status"])
        audit_record(actor=actor, verb="assembly.mandate_recruit", target=mandate)
    return mandate


def mandate_close(*, mandate_id: int, actor: User) -> Mandate:
    """End the mandate once no session is pending (planned, published or open). The volunteers'
    contact details served only to reach them during the mandate: they are erased now."""
    with transaction.atomic():
        mandate = mandate_locked(mandate_id)
        if Session.objects.filter(
            mandate=mandate,
            status__in=[SessionStatus.PLANNED, SessionStatus.PUBLISHED, SessionStatus.OPEN],
        ).exists():
            raise Conflict(
                _("Clôturez ou annulez d'abord les séances à venir."), code="sessions_pending"
            )
        mandate_move(mandate, MandateStatus.CLOSED)
        mandate.save(update_fields=["status"])
        erased = (
            Volunteer.objects.filter(mandate=mandate)
            .exclude(email="", phone="")
            .update(email="", phone="")
        )
        # Who volunteered without being seated, and who was invited, is not kept past the mandate.
        unlinked = Volunteer.objects.filter(
            mandate=mandate, member__isnull=True, register_entry__isnull=False
        ).update(register_entry=None)
        Invitation.objects.filter(mandate=mandate, register_entry__isnull=False).exclude(
            volunteer__member__isnull=False
        ).update(register_entry=None)
        audit_record(
            actor=actor,
            verb="assembly.mandate_close",
            target=mandate,
            after={"contacts_erased": erased, "volunteers_unlinked": unlinked},
        )
    return mandate


# --- Staff edits of criteria and quotas from the admin (each checked and audited) -------------


def _criteria_open(mandate: Mandate) -> None:
    """Criteria and the values of a criterion change only before anyone volunteered (their
    features were recorded against the criteria of the time) and before the commitment."""
    if mandate.status not in (MandateStatus.DRAFT, MandateStatus.RECRUITING) or (
        mandate.volunteers.exists()
    ):
        raise Conflict(
            _("Les critères ne changent plus une fois les premiers volontaires inscrits."),
            code="features_frozen",
        )


def _feature_locked(feature_id: int) -> tuple[Feature, Mandate]:
    feature = Feature.objects.filter(pk=feature_id).first()
    if feature is None:
        raise NotFound(_("Ce critère n'existe pas."))
    mandate = mandate_locked(feature.mandate_id)
    return Feature.objects.get(pk=feature_id), mandate


def feature_change(*, feature_id: int, actor: User, key: str, label: str, kind: str) -> Feature:
    """Rename a criterion (any time before the mandate closes); its key and source change only
    while criteria are open."""
    with transaction.atomic():
        feature, mandate = _feature_locked(feature_id)
        before = {"key": feature.key, "label": feature.label, "kind": feature.kind}
        after = {"key": key, "label": label, "kind": kind}
        if before == after:
            return feature
        if (key, kind) != (feature.key, feature.kind):
            _criteria_open(mandate)
        elif mandate.status == MandateStatus.CLOSED:
            raise Conflict(_("Ce mandat est terminé."), code="mandate_closed")
        feature.key, feature.label, feature.kind = key, label, kind
        try:
            with transaction.atomic():
                feature.save(update_fields=["key", "label", "kind"])
        except IntegrityError:
            raise Conflict(_("Ce critère existe déjà."), code="feature_conflict") from None
        audit_record(
            actor=actor, verb="assembly.feature_change", target=feature, before=before, after=after
        )
    return feature


def feature_delete(*, feature_id: int, actor: User) -> None:
    with transaction.atomic():
        feature, mandate = _feature_locked(feature_id)
        _criteria_open(mandate)
        before = {"key": feature.key, "kind": feature.kind}
        feature.delete()
        audit_record(
            actor=actor,
            verb="assembly.feature_delete",
            target=("assembly.feature", feature_id),
            before=before,
        )


def quota_add(*, feature_id: int, actor: User, value: str, label: str, min: int, max: int) -> Quota:
    """Add a value with its seats to a criterion, while criteria are open."""
    with transaction.atomic():
        feature, mandate = _feature_locked(feature_id)
        _criteria_open(mandate)
        if feature.kind == FeatureKind.AGE_BAND and parse_age_band(value) is None:
            raise RuleViolation(
                _("Tranche d'âge invalide : %(values)s (ex. « 16-29 » ou « 60+ »).")
                % {"values": value},
                code="invalid_age_band",
            )
        if min > max:
            raise RuleViolation(_("Le minimum dépasse le maximum."), code="invalid_quota")
        try:
            with transaction.atomic():
                quota = Quota.objects.create(
                    feature=feature, value=value, label=label, min=min, max=max
                )
        except IntegrityError:
            raise Conflict(_("Cette valeur existe déjà."), code="quota_conflict") from None
        audit_record(
            actor=actor,
            verb="assembly.quota_add",
            target=quota,
            after={"value": value, "min": min, "max": max},
        )
    return quota


def quota_change(
    *, quota_id: int, actor: User, value: str, label: str, min: int, max: int
) -> Quota:
    """The admin's edit of a quota: seats through `quota_set` (frozen by the commitment), the
    value only while criteria are open, the label at any time before the close."""
    with transaction.atomic():
        quota = Quota.objects.select_related("feature").filter(pk=quota_id).first()
        if quota is None:
            raise NotFound(_("Ce quota n'existe pas."))
        _feature, mandate = _feature_locked(quota.feature_id)
        quota = Quota.objects.get(pk=quota_id)
        if value != quota.value:
            _criteria_open(mandate)
        if (min, max) != (quota.min, quota.max):
            quota = quota_set(quota_id=quota_id, actor=actor, min=min, max=max)
        if (value, label) != (quota.value, quota.label):
            if mandate.status == MandateStatus.CLOSED:
                raise Conflict(_("Ce mandat est terminé."), code="mandate_closed")
            before = {"value": quota.value, "label": quota.label}
            quota.value, quota.label = value, label
            try:
                with transaction.atomic():
                    quota.save(update_fields=["value", "label"])
            except IntegrityError:
                raise Conflict(_("Cette valeur existe déjà."), code="quota_conflict") from None
            audit_record(
                actor=actor,
                verb="assembly.quota_change",
                target=quota,
                before=before,
                after={"value": value, "label": label},
            )
    return quota


def quota_delete(*, quota_id: int, actor: User) -> None:
    with transaction.atomic():
        quota = Quota.objects.filter(pk=quota_id).first()
        if quota is None:
            raise NotFound(_("Ce quota n'existe pas."))
        _feature, mandate = _feature_locked(quota.feature_id)
        _criteria_open(mandate)
        before = {"value": quota.value, "min": quota.min, "max": quota.max}
        Quota.objects.filter(pk=quota_id).delete()
        audit_record(
            actor=actor,
            verb="assembly.quota_delete",
            target=("assembly.quota", quota_id),
            before=before,
        )
