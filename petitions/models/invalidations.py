"""Invalidations: signatures taken out of the count by staff, by criteria, with a public reason and
date, run as a background job with its progress, and undoable (CIVIC-RULES, "Invalidation").

An invalidated signature keeps its row (marked with its invalidation): the unique constraints still
hold the signer's place, so a fraudulent signer cannot sign again, and undo puts the very same
signatures back. The count leaves by a slot delta written in the same transaction as the mark.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from petitions.models.initiatives import Initiative


class InvalidationReason(models.TextChoices):
    FRAUDULENT = "fraudulent", _("Signature frauduleuse")
    IMPERSONATION = "impersonation", _("Signature au nom d'une autre personne")
    AUTOMATED = "automated", _("Signatures en série automatisées")
    PAPER_IRREGULAR = "paper_irregular", _("Feuille papier irrégulière")


class InvalidationState(models.TextChoices):
    PENDING = "pending", _("En attente")
    RUNNING = "running", _("En cours")
    DONE = "done", _("Appliquée")
    UNDOING = "undoing", _("Annulation en cours")
    UNDONE = "undone", _("Annulée (signatures rétablies)")


class Invalidation(models.Model):
    """One invalidation of one initiative's signatures: the criteria (staff only: they may name
    people), the public reason, the job's progress and what it removed, per channel."""

    initiative = models.ForeignKey(
        Initiative,
        on_delete=models.PROTECT,
        related_name="invalidations",
        verbose_name=_("initiative"),
    )
    criteria = models.JSONField(verbose_name=_("critères"))
    reason = models.CharField(_("motif"), max_length=24, choices=InvalidationReason.choices)
    note = models.CharField(_("remarque interne"), max_length=255, blank=True)
    state = models.CharField(
        _("état"),
        max_length=8,
        choices=InvalidationState.choices,
        default=InvalidationState.PENDING,
    )
    matched = models.PositiveIntegerField(_("signatures visées"), default=0)
    progress = models.PositiveIntegerField(_("signatures traitées"), default=0)
    # The job covers the signatures matching when it starts: ids up to this one.
    upto_signature_id = models.BigIntegerField(
        null=True, blank=True, editable=False, verbose_name=_("jusqu'à la signature n°")
    )
    removed_online = models.PositiveIntegerField(default=0, verbose_name=_("retirées en ligne"))
    removed_paper = models.PositiveIntegerField(default=0, verbose_name=_("retirées papier"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("demandée par"),
    )
    created_at = models.DateTimeField(verbose_name=_("demandée le"))
    applied_at = models.DateTimeField(_("appliquée le"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("annulée par"),
    )
    undone_at = models.DateTimeField(_("annulée le"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invalidation de signatures")
        verbose_name_plural = _("invalidations de signatures")
        constraints = [
            models.CheckConstraint(
                condition=Q(reason__in=[r.value for r in InvalidationReason]),
                name="invalidation_reason_valid",
            ),
            models.CheckConstraint(
                condition=Q(state__in=[s.value for s in InvalidationState]),
                name="invalidation_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(state=InvalidationState.UNDONE, undone_at__isnull=False)
                | (~Q(state=InvalidationState.UNDONE) & Q(undone_at__isnull=True)),
                name="invalidation_undone_iff_undone_at",
            ),
            models.CheckConstraint(
                condition=Q(progress__lte=models.F("matched")) | Q(matched=0),
                name="invalidation_progress_within_matched",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.initiative_id}:{self.reason}:{self.state}"

    @property
    def removed(self) -> int:
        return self.removed_online + self.removed_paper

    @property
    def percent(self) -> int:
        return 100 if not self.matched else min(100, self.progress * 100 // self.matched)
