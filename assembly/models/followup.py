"""Minutes of a session and the recommendations the assembly adopted."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from assembly.models.composition import Mandate
from assembly.models.sessions import Motion, Session


class MinutesStatus(models.TextChoices):
    DRAFT = "draft", _("Projet")
    APPROVED = "approved", _("Approuvé")
    PUBLISHED = "published", _("Publié")


class Minutes(models.Model):
    session = models.OneToOneField(
        Session, on_delete=models.PROTECT, related_name="minutes", verbose_name=_("séance")
    )
    body = models.TextField(_("texte"))
    status = models.CharField(
        max_length=10,
        choices=MinutesStatus.choices,
        default=MinutesStatus.DRAFT,
        verbose_name=_("état"),
    )
    drafted_at = models.DateTimeField(verbose_name=_("rédigé le"))
    edited_at = models.DateTimeField(null=True, blank=True, verbose_name=_("modifié le"))
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("modifié par"),
    )
    approved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("approuvé le"))
    approved_in = models.ForeignKey(
        Session,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approved_minutes",
        verbose_name=_("approuvé en séance"),
    )
    approval_motion = models.ForeignKey(
        Motion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("vote d'approbation"),
    )
    published_at = models.DateTimeField(null=True, blank=True, verbose_name=_("publié le"))

    class Meta:
        verbose_name = _("procès-verbal")
        verbose_name_plural = _("procès-verbaux")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft", approved_at__isnull=True, approved_in__isnull=True)
                | (~Q(status="draft") & Q(approved_at__isnull=False, approved_in__isnull=False)),
                name="minutes_approved_iff_approval",
            ),
            models.CheckConstraint(
                condition=Q(status="published", published_at__isnull=False)
                | (~Q(status="published") & Q(published_at__isnull=True)),
                name="minutes_published_iff_published_at",
            ),
        ]

    def __str__(self) -> str:
        return f"PV {self.session_id}"


class RecommendationStatus(models.TextChoices):
    ADOPTED = "adopted", _("Adoptée par l'assemblée")
    REFERRED = "referred", _("Transmise au conseil municipal")
    ANSWERED = "answered", _("Réponse du conseil reçue")
    # Asked of the referendums app; the draft is created there, then reported back (an event).
    REFERENDUM_ASKED = "referendum_asked", _("Projet de référendum demandé, en cours de création")
    REFERENDUM = "referendum", _("Transformée en projet de référendum")


class Recommendation(models.Model):
    mandate = models.ForeignKey(
        Mandate, on_delete=models.PROTECT, related_name="recommendations", verbose_name=_("mandat")
    )
    motion = models.OneToOneField(
        Motion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="recommendation",
        verbose_name=_("motion"),
    )
    title = models.CharField(_("intitulé"), max_length=255)
    text = models.TextField(_("texte"))
    status = models.CharField(
        max_length=20,
        choices=RecommendationStatus.choices,
        default=RecommendationStatus.ADOPTED,
        verbose_name=_("état"),
    )
    adopted_at = models.DateTimeField(verbose_name=_("adoptée le"))
    referendum_asked_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("référendum demandé le")
    )
    referred_at = models.DateTimeField(null=True, blank=True, verbose_name=_("transmise le"))
    answer_due = models.DateField(_("réponse attendue avant le"), null=True, blank=True)
    council_answer = models.TextField(_("réponse du conseil"), blank=True)
    answered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("réponse le"))
    reminder_sent_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("rappel envoyé le")
    )
    overdue_notified_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("retard notifié le")
    )
    # Converted into a referendum campaign draft, owned by the referendums app.
    target_kind = models.CharField(max_length=32, blank=True, verbose_name=_("type de cible"))
    target_id = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("cible (identifiant)")
    )

    class Meta:
        ordering = ["-adopted_at", "-id"]
        verbose_name = _("recommandation")
        verbose_name_plural = _("recommandations")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status__in=["referred", "answered"])
                | Q(referred_at__isnull=False, answer_due__isnull=False),
                name="recommendation_referred_has_deadline",
            ),
            models.CheckConstraint(
                condition=~Q(status="answered") | Q(answered_at__isnull=False),
                name="recommendation_answered_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["referendum_asked", "referendum"])
                | Q(referendum_asked_at__isnull=False),
                name="recommendation_referendum_asked_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="referendum") | Q(target_id__isnull=False),
                name="recommendation_referendum_has_target",
            ),
            models.UniqueConstraint(
                fields=["target_kind", "target_id"],
                condition=Q(target_id__isnull=False),
                name="recommendation_target_once",
            ),
        ]

    def __str__(self) -> str:
        return self.title
