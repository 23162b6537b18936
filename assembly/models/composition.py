"""Mandates, criteria and quotas, invitations and volunteers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civic.eligibility import Predicate


class MandateStatus(models.TextChoices):
    DRAFT = "draft", _("En préparation")
    RECRUITING = "recruiting", _("Appel aux volontaires")
    COMMITTED = "committed", _("Engagement publié, tirage à venir")
    SEATED = "seated", _("En fonction")
    CLOSED = "closed", _("Terminé")


class Mandate(models.Model):
    title = models.CharField(_("intitulé"), max_length=200)
    description = models.TextField(_("présentation"), blank=True)
    starts_on = models.DateField(_("début du mandat"))
    ends_on = models.DateField(_("fin du mandat"))
    size = models.PositiveSmallIntegerField(_("nombre de membres"))
    reserve_size = models.PositiveSmallIntegerField(_("taille de la liste de réserve"), default=0)
    invitation_count = models.PositiveIntegerField(_("nombre d'invitations"), default=0)
    eligibility = models.CharField(
        _("qui peut être tiré au sort"),
        max_length=32,
        choices=Predicate.choices,
        default=Predicate.RESIDENT_16,
    )
    # Quorum: at least this share of active members present (percent, 1..100).
    quorum_percent = models.PositiveSmallIntegerField(_("quorum (% des membres)"), default=50)
    rules_reference = models.CharField(
        _("règlement de référence"),
        max_length=200,
        default="Règlement intérieur de l'assemblée citoyenne",
    )
    initiative_item_minutes = models.PositiveSmallIntegerField(
        _("durée d'un point d'initiative (minutes)"), default=30
    )
    agenda_publication_days = models.PositiveSmallIntegerField(
        _("publication de l'ordre du jour (jours avant)"), default=7
    )
    status = models.CharField(
        max_length=12,
        choices=MandateStatus.choices,
        default=MandateStatus.DRAFT,
        verbose_name=_("état"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("créé le"))

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("mandat de l'assemblée")
        verbose_name_plural = _("mandats de l'assemblée")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gt=models.F("starts_on")), name="mandate_dates"
            ),
            models.CheckConstraint(condition=Q(size__gte=1), name="mandate_size_positive"),
            models.CheckConstraint(
                condition=Q(quorum_percent__gte=1, quorum_percent__lte=100),
                name="mandate_quorum_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class FeatureKind(models.TextChoices):
    GENDER = "gender", _("Genre (déclaré)")
    AGE_BAND = "age_band", _("Tranche d'âge (registre)")
    DISTRICT = "district", _("Quartier (registre)")
    DECLARED = "declared", _("Autre critère déclaré")


class Feature(models.Model):
    """A stratification criterion. Age band and district come from the register, the others are
    declared by the volunteer."""

    mandate = models.ForeignKey(
        Mandate, on_delete=models.CASCADE, related_name="features", verbose_name=_("mandat")
    )
    key = models.SlugField(_("clé"), max_length=32)
    label = models.CharField(_("libellé"), max_length=120)
    kind = models.CharField(_("source"), max_length=12, choices=FeatureKind.choices)

    class Meta:
        ordering = ["mandate", "key"]
        verbose_name = _("critère")
        verbose_name_plural = _("critères")
        constraints = [
            models.UniqueConstraint(fields=["mandate", "key"], name="feature_key_unique"),
            models.UniqueConstraint(
                fields=["mandate", "kind"],
                condition=~Q(kind="declared"),
                name="feature_builtin_once",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class Quota(models.Model):
    """A value of a feature with its min and max seats. For age bands the value is "16-29" or
    "60+"; for districts it is the district code."""

    feature = models.ForeignKey(
        Feature, on_delete=models.CASCADE, related_name="quotas", verbose_name=_("critère")
    )
    value = models.CharField(_("valeur"), max_length=32)
    label = models.CharField(_("libellé"), max_length=120)
    min = models.PositiveSmallIntegerField(_("minimum"))
    max = models.PositiveSmallIntegerField(_("maximum"))

    class Meta:
        ordering = ["feature", "value"]
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        constraints = [
            models.UniqueConstraint(fields=["feature", "value"], name="quota_value_unique"),
            models.CheckConstraint(condition=Q(max__gte=models.F("min")), name="quota_min_le_max"),
        ]

    def __str__(self) -> str:
        return f"{self.feature.key}={self.value} [{self.min}, {self.max}]"


class InvitationBatch(models.Model):
    """Stage one: a uniformly random sample of the register, reproducible from its seed. The seed
    is drawn by the server, never typed; its SHA-256 (`seed_digest`) and the population's are
    published when the batch is committed, and the sample drawn afterwards (`drawn_at`) must match
    them (the database checks the seed against its digest and keeps both unchanged)."""

    mandate = models.ForeignKey(
        Mandate, on_delete=models.CASCADE, related_name="batches", verbose_name=_("mandat")
    )
    seed = models.CharField(max_length=64, verbose_name=_("graine"))
    seed_digest = models.CharField(_("empreinte de la graine"), max_length=64, blank=True)
    population_digest = models.CharField(
        max_length=64, blank=True, verbose_name=_("empreinte de la population")
    )
    requested = models.PositiveIntegerField(verbose_name=_("demandé"))
    population = models.PositiveIntegerField(verbose_name=_("population"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("créé le"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("créé par"),
    )
    drawn_at = models.DateTimeField(null=True, blank=True, verbose_name=_("tiré le"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("lot d'invitations")
        verbose_name_plural = _("lots d'invitations")
        # The seed matches its digest (empty only for the batches of before, drawn when created):
        # a CHECK of migration 0005, in SQL since PostgreSQL's sha256() is not Django's SHA256
        # (which needs pgcrypto).

    def __str__(self) -> str:
        return f"{self.mandate_id}/{self.pk} ({self.requested})"


class InvitationStatus(models.TextChoices):
    SENT = "sent", _("Envoyée")
    ACCEPTED = "accepted", _("Acceptée")
    DECLINED = "declined", _("Déclinée")


class Invitation(models.Model):
    """The sign-up token is not stored: it is `<id>.<keyed digest of the id>`, recomputed on demand
    (mail-merge exports) and checked in constant time."""

    mandate = models.ForeignKey(
        Mandate, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("mandat")
    )
    batch = models.ForeignKey(
        InvitationBatch, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("lot")
    )
    # Unlinked when the mandate closes (retention): who was invited is not kept after it.
    register_entry = models.ForeignKey(
        "civic.RegisterEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assembly_invitations",
        verbose_name=_("inscription au registre"),
    )
    status = models.CharField(
        max_length=10,
        choices=InvitationStatus.choices,
        default=InvitationStatus.SENT,
        verbose_name=_("état"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("créé le"))
    answered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("réponse le"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["mandate", "register_entry"], name="invitation_once_per_mandate"
            ),
            models.CheckConstraint(
                condition=Q(status="sent", answered_at__isnull=True)
                | (~Q(status="sent") & Q(answered_at__isnull=False)),
                name="invitation_answered_iff_answered_at",
            ),
        ]

    def __str__(self) -> str:
        return f"invitation {self.pk}"


class Volunteer(models.Model):
    """Someone who answered an invitation. `pseudonym` is random and is all the public ever sees."""

    mandate = models.ForeignKey(
        Mandate, on_delete=models.CASCADE, related_name="volunteers", verbose_name=_("mandat")
    )
    invitation = models.OneToOneField(
        Invitation, on_delete=models.PROTECT, related_name="volunteer", verbose_name=_("invitation")
    )
    # Unlinked at the mandate's close for volunteers never seated; pseudonym and features stay so
    # the published draw can still be rerun.
    register_entry = models.ForeignKey(
        "civic.RegisterEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assembly_volunteers",
        verbose_name=_("inscription au registre"),
    )
    pseudonym = models.CharField(max_length=16, verbose_name=_("pseudonyme"))
    features = models.JSONField(default=dict, verbose_name=_("critères"))  # {feature key: value}
    email = models.EmailField(_("adresse e-mail"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=32, blank=True)
    consent_at = models.DateTimeField(verbose_name=_("consentement le"))
    withdrawn_at = models.DateTimeField(null=True, blank=True, verbose_name=_("retiré le"))
    # Under the committed lottery (set when the commitment is published).
    selection_probability = models.FloatField(
        null=True, blank=True, verbose_name=_("probabilité de sélection")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("créé le"))

    class Meta:
        ordering = ["pseudonym"]
        verbose_name = _("volontaire")
        verbose_name_plural = _("volontaires")
        constraints = [
            models.UniqueConstraint(
                fields=["mandate", "pseudonym"], name="volunteer_pseudonym_unique"
            ),
            models.UniqueConstraint(
                fields=["mandate", "register_entry"], name="volunteer_once_per_mandate"
            ),
        ]

    def __str__(self) -> str:
        return self.pseudonym
