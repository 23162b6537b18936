"""Initiatives, their tracks (one per instrument), resolved rungs and promoters."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civic.eligibility import Predicate
from civic.models import District
from petitions.models.instruments import (
    MAX_TRACKS,
    InstrumentType,
    ObligationKind,
    Rung,
    in_language,
)


class RejectionReason(models.Model):
    """Why an initiative is inadmissible: a list staff maintain, chosen at rejection."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    label = models.CharField(_("motif"), max_length=200)
    label_en = models.CharField(_("motif (anglais)"), max_length=200, blank=True)
    active = models.BooleanField(_("actif"), default=True)

    class Meta:
        ordering = ["label"]
        verbose_name = _("motif d'irrecevabilité")
        verbose_name_plural = _("motifs d'irrecevabilité")

    def __str__(self) -> str:
        return self.label

    @property
    def localized_label(self) -> str:
        return in_language(self.label, self.label_en)


class Status(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    SUBMITTED = "submitted", _("Déposée")
    IN_REVIEW = "in_review", _("En cours d'examen")
    COLLECTING = "collecting", _("Collecte en cours")
    CLOSED = "closed", _("Collecte close")
    REJECTED = "rejected", _("Irrecevable")
    WITHDRAWN = "withdrawn", _("Retirée")


class Moderation(models.TextChoices):
    """Whether the public sees an initiative as it is (docs/civic-rules.md, "Moderation"): beside
    its status, never instead of it, so that reinstating it finds the status it had."""

    PUBLIC = "public", _("Publique")
    # The page stays public with the reason; collection is paused.
    SUSPENDED = "suspended", _("Suspendue par la modération")
    # The page shows only a notice with the reason: its text is withdrawn from the public.
    UNPUBLISHED = "unpublished", _("Dépubliée par la modération")


class Initiative(models.Model):
    title = models.CharField(_("titre"), max_length=200)
    summary = models.CharField(_("résumé"), max_length=500)
    body = models.TextField(_("texte de l'initiative"))
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("quartier concerné"),
    )
    initiator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="initiatives",
        verbose_name=_("initiateur"),
    )
    status = models.CharField(
        _("état"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    created_at = models.DateTimeField(_("créée le"))
    updated_at = models.DateTimeField(_("modifiée le"))
    submitted_at = models.DateTimeField(_("déposée le"), null=True, blank=True)
    review_started_at = models.DateTimeField(_("examen commencé le"), null=True, blank=True)
    published_at = models.DateTimeField(_("collecte ouverte le"), null=True, blank=True)
    closes_at = models.DateTimeField(_("collecte close le"), null=True, blank=True)
    closed_at = models.DateTimeField(_("close le"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("déclarée irrecevable le"), null=True, blank=True)
    rejection_reason = models.ForeignKey(
        RejectionReason,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("motif"),
    )
    rejection_text = models.TextField(_("explication"), blank=True)
    withdrawn_at = models.DateTimeField(_("retirée le"), null=True, blank=True)
    # Set once by the reminder job ("7 days left"): the guarded UPDATE on NULL sends it once.
    reminder_sent_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("rappel envoyé le")
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent chargé de l'examen"),
    )
    moderation = models.CharField(
        _("modération"), max_length=16, choices=Moderation.choices, default=Moderation.PUBLIC
    )
    moderated_at = models.DateTimeField(_("modérée le"), null=True, blank=True)
    moderation_reason = models.TextField(_("motif public de la modération"), blank=True)
    # The collection stands still from this instant (a moderator suspended it, or the initiative);
    # the closing instant moves by the time it stood still when it resumes.
    collection_paused_at = models.DateTimeField(_("collecte suspendue le"), null=True, blank=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in Status]), name="initiative_status_valid"
            ),
            models.CheckConstraint(
                # A draft may be withdrawn before it was ever submitted.
                condition=Q(status__in=[Status.DRAFT, Status.WITHDRAWN])
                | Q(submitted_at__isnull=False),
                name="initiative_submitted_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[Status.COLLECTING, Status.CLOSED])
                | Q(published_at__isnull=False, closes_at__isnull=False),
                name="initiative_collecting_has_window",
            ),
            models.CheckConstraint(
                condition=Q(closes_at__isnull=True) | Q(closes_at__gt=models.F("published_at")),
                name="initiative_window_after_opening",
            ),
            models.CheckConstraint(
                condition=Q(status=Status.CLOSED, closed_at__isnull=False)
                | (~Q(status=Status.CLOSED) & Q(closed_at__isnull=True)),
                name="initiative_closed_iff_closed_at",
            ),
            models.CheckConstraint(
                condition=Q(
                    status=Status.REJECTED,
                    rejected_at__isnull=False,
                    rejection_reason__isnull=False,
                )
                | (~Q(status=Status.REJECTED) & Q(rejected_at__isnull=True)),
                name="initiative_rejected_iff_reason",
            ),
            models.CheckConstraint(
                condition=Q(status=Status.WITHDRAWN, withdrawn_at__isnull=False)
                | (~Q(status=Status.WITHDRAWN) & Q(withdrawn_at__isnull=True)),
                name="initiative_withdrawn_iff_withdrawn_at",
            ),
            models.CheckConstraint(
                condition=Q(moderation__in=[m.value for m in Moderation]),
                name="initiative_moderation_valid",
            ),
            models.CheckConstraint(
                condition=Q(moderation=Moderation.PUBLIC)
                | (Q(moderated_at__isnull=False) & ~Q(moderation_reason="")),
                name="initiative_moderated_has_reason",
            ),
            models.CheckConstraint(
                # A suspended or unpublished initiative takes no signature: its collection stands.
                condition=~Q(status=Status.COLLECTING)
                | Q(moderation=Moderation.PUBLIC)
                | Q(collection_paused_at__isnull=False),
                name="initiative_moderated_collection_paused",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "closes_at"], name="initiative_status_closes_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("petitions:detail", args=[self.pk])


class InitiativeTrack(models.Model):
    """One instrument an initiative runs on; thresholds are resolved when collection opens."""

    initiative = models.ForeignKey(
        Initiative, on_delete=models.CASCADE, related_name="tracks", verbose_name=_("initiative")
    )
    instrument_type = models.ForeignKey(
        InstrumentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("instrument")
    )
    position = models.PositiveSmallIntegerField(verbose_name=_("position"))
    # Copied at opening, so later edits of the instrument type never change a running initiative.
    predicate = models.CharField(
        max_length=32, choices=Predicate.choices, verbose_name=_("règle d'éligibilité")
    )
    population_at_open = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("population à l'ouverture")
    )

    class Meta:
        ordering = ["initiative", "position"]
        verbose_name = _("volet")
        verbose_name_plural = _("volets")
        constraints = [
            models.UniqueConstraint(
                fields=["initiative", "position"], name="track_position_unique"
            ),
            models.UniqueConstraint(
                fields=["initiative", "instrument_type"], name="track_instrument_unique"
            ),
            models.CheckConstraint(
                condition=Q(position__lt=MAX_TRACKS), name="track_position_in_mask"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.initiative_id}/{self.position}"

    @property
    def bit(self) -> int:
        return 1 << self.position


class TrackRung(models.Model):
    """A rung of one track with its threshold fixed at opening; `reached_at` is set exactly once."""

    track = models.ForeignKey(
        InitiativeTrack, on_delete=models.CASCADE, related_name="rungs", verbose_name=_("voie")
    )
    rung = models.ForeignKey(
        Rung, on_delete=models.PROTECT, related_name="+", verbose_name=_("palier")
    )
    order = models.PositiveSmallIntegerField(verbose_name=_("ordre"))
    threshold = models.PositiveIntegerField(verbose_name=_("seuil"))
    obligation_kind = models.CharField(
        max_length=24, choices=ObligationKind.choices, verbose_name=_("type d'engagement")
    )
    obligation_text = models.TextField(verbose_name=_("texte de l'engagement"))
    obligation_text_en = models.TextField(
        blank=True, default="", verbose_name=_("texte de l'engagement (anglais)")
    )
    due_days = models.PositiveIntegerField(verbose_name=_("délai (jours)"))
    reached_at = models.DateTimeField(null=True, blank=True, verbose_name=_("atteint le"))
    reached_count = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("nombre à l'atteinte")
    )

    class Meta:
        ordering = ["track", "order"]
        constraints = [
            models.UniqueConstraint(fields=["track", "rung"], name="track_rung_unique"),
            models.CheckConstraint(
                condition=Q(reached_at__isnull=True, reached_count__isnull=True)
                | Q(reached_at__isnull=False, reached_count__isnull=False),
                name="track_rung_reached_with_count",
            ),
        ]
        indexes = [
            models.Index(
                fields=["track"],
                name="track_rung_unreached_idx",
                condition=Q(reached_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.track} ≥ {self.threshold}"

    @classmethod
    def of_rung(cls, track: InitiativeTrack, rung: Rung, *, threshold: int) -> TrackRung:
        """The track's copy of an instrument's rung, with its threshold fixed: what the city owes
        stays as it was when collection opened, in both languages, whatever staff edit later."""
        return cls(
            track=track,
            rung=rung,
            order=rung.order,
            threshold=threshold,
            obligation_kind=rung.obligation_kind,
            obligation_text=rung.obligation_text,
            obligation_text_en=rung.obligation_text_en,
            due_days=rung.due_days,
        )

    @property
    def localized_obligation_text(self) -> str:
        return in_language(self.obligation_text, self.obligation_text_en)


class Promoter(models.Model):
    """A co-author invited by the initiator; counts toward the minimum once they co-sign."""

    initiative = models.ForeignKey(
        Initiative, on_delete=models.CASCADE, related_name="promoters", verbose_name=_("initiative")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="promoted_initiatives",
        verbose_name=_("compte"),
    )
    invited_at = models.DateTimeField(verbose_name=_("invité le"))
    cosigned_at = models.DateTimeField(null=True, blank=True, verbose_name=_("cosignée le"))

    class Meta:
        ordering = ["invited_at", "id"]
        verbose_name = _("porteur")
        verbose_name_plural = _("porteurs")
        constraints = [
            models.UniqueConstraint(fields=["initiative", "user"], name="promoter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.initiative_id}:{self.user_id}"
