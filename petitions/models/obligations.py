"""What the city owes once a rung is reached, tracked to done in public."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from petitions.models.initiatives import Initiative, TrackRung
from petitions.models.instruments import ObligationKind, in_language


class ObligationStatus(models.TextChoices):
    OPEN = "open", _("À faire")
    DONE = "done", _("Fait")
    # The count fell below the rung's threshold (invalidation) before the obligation was met
    # (CIVIC-RULES, "Invalidation"): reinstated, open again, if the count recovers.
    SUSPENDED = "suspended", _("Suspendu")


class Obligation(models.Model):
    """What the city owes once a rung is reached, tracked to done in public."""

    track_rung = models.OneToOneField(
        TrackRung,
        on_delete=models.PROTECT,
        related_name="obligation",
        verbose_name=_("palier de la voie"),
    )
    initiative = models.ForeignKey(
        Initiative,
        on_delete=models.PROTECT,
        related_name="obligations",
        verbose_name=_("initiative"),
    )
    kind = models.CharField(_("engagement"), max_length=24, choices=ObligationKind.choices)
    text = models.TextField(_("ce que la ville doit faire"))
    text_en = models.TextField(_("ce que la ville doit faire (anglais)"), blank=True, default="")
    created_at = models.DateTimeField(verbose_name=_("créé le"))
    due_at = models.DateTimeField(_("échéance"))
    status = models.CharField(
        _("état"), max_length=16, choices=ObligationStatus.choices, default=ObligationStatus.OPEN
    )
    done_at = models.DateTimeField(_("fait le"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("traité par"),
    )
    evidence_url = models.URLField(_("lien (compte rendu, délibération)"), blank=True)
    evidence_text = models.TextField(_("compte rendu"), blank=True)
    suspended_at = models.DateTimeField(_("suspendu le"), null=True, blank=True)
    suspension_reason = models.CharField(_("motif de la suspension"), max_length=255, blank=True)
    reminded_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("relancé le")
    )
    overdue_flagged_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("signalé en retard le")
    )

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("engagement de la ville")
        verbose_name_plural = _("engagements de la ville")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    status__in=[ObligationStatus.OPEN, ObligationStatus.SUSPENDED],
                    done_at__isnull=True,
                    done_by__isnull=True,
                )
                | (
                    Q(status=ObligationStatus.DONE, done_at__isnull=False, done_by__isnull=False)
                    & (~Q(evidence_url="") | ~Q(evidence_text=""))
                ),
                name="obligation_done_has_evidence",
            ),
            models.CheckConstraint(
                condition=Q(status=ObligationStatus.SUSPENDED, suspended_at__isnull=False)
                | (~Q(status=ObligationStatus.SUSPENDED) & Q(suspended_at__isnull=True)),
                name="obligation_suspended_iff_suspended_at",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at"], name="obligation_open_due_idx", condition=Q(status="open")
            ),
            models.Index(
                fields=["initiative"],
                name="obligation_suspended_idx",
                condition=Q(status="suspended"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.initiative_id})"

    @property
    def localized_text(self) -> str:
        return in_language(self.text, self.text_en)
