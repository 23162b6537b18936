"""Campaigns: what is asked, of whom, when; the frozen electorate; the electoral calendar."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from civic.eligibility import Predicate
from civic.models import District, RegisterEntry

# The fields a campaign manager writes, in the API's order. The API's input serializer, the
# services' check of what they accept and the admin's read-only list once the campaign has opened
# all read this one list.
EDITABLE_FIELDS: tuple[str, ...] = (
    "title_fr",
    "title_en",
    "summary_fr",
    "summary_en",
    "dossier_fr",
    "dossier_en",
    "subject_key",
    "predicate",
    "cutoff_date",
    "origin_kind",
    "origin_id",
    "origin_label",
    "deliberation_date",
    "prefect_transmission_date",
    "dossier_public_date",
    "campaign_opens_at",
    "voting_opens_at",
    "voting_closes_at",
    "quorum_percent",
    "majority_rule",
    "challenge_days",
    "retention_days",
)
# Chosen at creation, never edited after.
CREATION_FIELDS: tuple[str, ...] = ("kind", "voting_method")
# Stamped by the lifecycle and the clock, never typed in (read-only in the admin).
LIFECYCLE_FIELDS: tuple[str, ...] = (
    "status",
    "electorate_count",
    "electorate_frozen_at",
    "scheduled_at",
    "opened_at",
    "closed_at",
    "published_at",
    "archived_at",
    "cancelled_at",
    "created_by",
)
# What the LO1112 calendar reads: the admin form re-checks these on a scheduled referendum.
CALENDAR_FIELDS: tuple[str, ...] = (
    "kind",
    "subject_key",
    "deliberation_date",
    "prefect_transmission_date",
    "dossier_public_date",
    "campaign_opens_at",
    "voting_opens_at",
    "voting_closes_at",
)
# What the audit log keeps of a campaign before and after each change.
SNAPSHOT_FIELDS: tuple[str, ...] = (
    "status",
    "kind",
    "title_fr",
    "campaign_opens_at",
    "voting_opens_at",
    "voting_closes_at",
)


class CampaignKind(models.TextChoices):
    ONLINE_VOTE = "online_vote", _("Votation citoyenne en ligne")
    BINDING_REFERENDUM = "binding_referendum", _("Référendum local décisionnel (CGCT LO1112-1)")
    ADVISORY_CONSULTATION = "advisory_consultation", _("Consultation (avis, CGCT L1112-15)")


class VotingMethod(models.TextChoices):
    ONLINE = "online", _("En ligne")
    PAPER = "paper", _("Bulletins papier en bureaux de vote")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    SCHEDULED = "scheduled", _("Programmé")
    CAMPAIGN = "campaign", _("Campagne en cours")
    VOTING = "voting", _("Vote ouvert")
    CLOSED = "closed", _("Vote clos")
    RESULTS_PUBLISHED = "results_published", _("Résultats publiés")
    ARCHIVED = "archived", _("Archivé")
    CANCELLED = "cancelled", _("Annulé")


class OriginKind(models.TextChoices):
    INITIATIVE = "initiative", _("Initiative citoyenne (palier référendum)")
    ASSEMBLY = "assembly", _("Recommandation de l'assemblée citoyenne")
    COUNCIL = "council", _("Délibération du conseil municipal")


class MajorityRule(models.TextChoices):
    NONE = "none", _("Aucune (avis consultatif)")
    SIMPLE = "simple", _("Majorité des suffrages exprimés (blancs et nuls exclus)")
    ABSOLUTE = "absolute", _("Majorité absolue des votants")


class Side(models.TextChoices):
    FOR = "for", _("Pour")
    AGAINST = "against", _("Contre")


class BilingualMixin:
    """`obj.tr("title")` gives the field in the active language, French when English is empty."""

    def tr(self, field: str) -> str:
        lang = (get_language() or "fr")[:2]
        if lang == "en":
            value = getattr(self, f"{field}_en", "")
            if value:
                return str(value)
        return str(getattr(self, f"{field}_fr"))


class Campaign(BilingualMixin, models.Model):
    kind = models.CharField(_("type"), max_length=24, choices=CampaignKind.choices)
    voting_method = models.CharField(
        _("mode de vote"), max_length=8, choices=VotingMethod.choices, default=VotingMethod.ONLINE
    )
    status = models.CharField(
        _("statut"),
        max_length=20,
        choices=CampaignStatus.choices,
        default=CampaignStatus.DRAFT,
        db_index=True,
    )
    title_fr = models.CharField(_("titre (français)"), max_length=200)
    title_en = models.CharField(_("titre (anglais)"), max_length=200, blank=True)
    summary_fr = models.TextField(_("résumé (français)"), blank=True)
    summary_en = models.TextField(_("résumé (anglais)"), blank=True)
    # LO1112-8: the question, the draft act, the explanatory report and the quorum/majority rule.
    dossier_fr = models.TextField(_("dossier d'information (français)"), blank=True)
    dossier_en = models.TextField(_("dossier d'information (anglais)"), blank=True)
    # Two campaigns on the same subject share this key (LO1112-6: not twice within a year).
    subject_key = models.SlugField(_("sujet (clé)"), max_length=80, blank=True)

    # Scope and electorate: frozen at the cut-off date into ElectorateMember rows.
    whole_city = models.BooleanField(_("toute la ville"), default=True)
    districts: models.ManyToManyField[District, CampaignDistrict] = models.ManyToManyField(
        District,
        through="CampaignDistrict",
        blank=True,
        related_name="+",
        verbose_name=_("quartiers"),
    )
    predicate = models.CharField(
        _("corps électoral"),
        max_length=24,
        choices=Predicate.choices,
        default=Predicate.MUNICIPAL_ELECTOR,
    )
    cutoff_date = models.DateField(_("date d'arrêt du corps électoral"))
    electorate_count = models.PositiveIntegerField(_("électeurs inscrits"), null=True, blank=True)
    electorate_frozen_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("corps électoral figé le")
    )
    # {district code: electors}, frozen with the electorate (turnout and the small-cell rule).
    electorate_districts = models.JSONField(
        default=dict, blank=True, editable=False, verbose_name=_("corps électoral par quartier")
    )

    # Where it comes from: a kind and an id, never a foreign key to another instrument's app.
    origin_kind = models.CharField(
        _("origine"), max_length=12, choices=OriginKind.choices, default=OriginKind.COUNCIL
    )
    origin_id = models.PositiveBigIntegerField(_("identifiant d'origine"), null=True, blank=True)
    origin_label = models.CharField(_("libellé de l'origine"), max_length=200, blank=True)

    # Calendar. Paper votes: voting_opens_at/closes_at are the polling hours of polling day.
    deliberation_date = models.DateField(_("date de la délibération"), null=True, blank=True)
    prefect_transmission_date = models.DateField(_("transmission au préfet"), null=True, blank=True)
    dossier_public_date = models.DateField(
        _("mise à disposition du dossier"), null=True, blank=True
    )
    campaign_opens_at = models.DateTimeField(_("ouverture de la campagne"))
    voting_opens_at = models.DateTimeField(_("ouverture du vote"))
    voting_closes_at = models.DateTimeField(_("clôture du vote"))

    # Rules: none by default for advisory votes; LO1112-7 for binding referendums.
    quorum_percent = models.PositiveSmallIntegerField(
        _("participation minimale (%)"), null=True, blank=True
    )
    majority_rule = models.CharField(
        _("règle de majorité"),
        max_length=10,
        choices=MajorityRule.choices,
        default=MajorityRule.NONE,
    )
    challenge_days = models.PositiveSmallIntegerField(
        _("délai de recours (jours)"),
        default=5,
        help_text=_("CGCT LO1112-14 : comme pour les élections municipales (5 jours)."),
    )

    # Personal data (who voted, the frozen electorate) are purged this many days after the
    # results are published; counts, ballots and receipts stay (CIVIC-RULES, personal data).
    retention_days = models.PositiveSmallIntegerField(
        _("conservation des listes d'émargement (jours)"), default=180
    )
    personal_data_purged_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("données personnelles purgées le")
    )

    # Results, computed once at the close (online) or from the sheets (paper).
    results = models.JSONField(_("résultats"), null=True, blank=True, editable=False)
    results_digest = models.CharField(
        max_length=64, blank=True, editable=False, verbose_name=_("empreinte des résultats")
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("créé par"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("créé le"))
    scheduled_at = models.DateTimeField(null=True, blank=True, verbose_name=_("programmé le"))
    opened_at = models.DateTimeField(null=True, blank=True, verbose_name=_("ouvert le"))
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("clos le"))
    published_at = models.DateTimeField(null=True, blank=True, verbose_name=_("publié le"))
    archived_at = models.DateTimeField(null=True, blank=True, verbose_name=_("archivé le"))
    cancelled_at = models.DateTimeField(null=True, blank=True, verbose_name=_("annulé le"))

    class Meta:
        ordering = ["-voting_opens_at", "-id"]
        verbose_name = _("campagne référendaire")
        verbose_name_plural = _("campagnes référendaires")
        constraints = [
            models.CheckConstraint(
                condition=Q(campaign_opens_at__lte=models.F("voting_opens_at"))
                & Q(voting_opens_at__lt=models.F("voting_closes_at")),
                name="referendum_calendar_ordered",
            ),
            models.CheckConstraint(
                condition=~Q(kind=CampaignKind.BINDING_REFERENDUM)
                | Q(voting_method=VotingMethod.PAPER),
                name="referendum_binding_is_paper",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in CampaignStatus]),
                name="referendum_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(opened_at__isnull=True)
                | ~Q(status__in=[CampaignStatus.DRAFT, CampaignStatus.SCHEDULED]),
                name="referendum_opened_after_scheduling",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        CampaignStatus.CLOSED,
                        CampaignStatus.RESULTS_PUBLISHED,
                        CampaignStatus.ARCHIVED,
                    ],
                    closed_at__isnull=False,
                )
                | ~Q(
                    status__in=[
                        CampaignStatus.CLOSED,
                        CampaignStatus.RESULTS_PUBLISHED,
                        CampaignStatus.ARCHIVED,
                    ]
                ),
                name="referendum_closed_has_date",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[CampaignStatus.RESULTS_PUBLISHED, CampaignStatus.ARCHIVED],
                    published_at__isnull=False,
                    results__isnull=False,
                )
                | ~Q(status__in=[CampaignStatus.RESULTS_PUBLISHED, CampaignStatus.ARCHIVED]),
                name="referendum_published_has_results",
            ),
            models.CheckConstraint(
                condition=Q(quorum_percent__isnull=True) | Q(quorum_percent__lte=100),
                name="referendum_quorum_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(origin_kind=OriginKind.COUNCIL) | Q(origin_id__isnull=False),
                name="referendum_origin_has_id",
            ),
            # One draft per assembly recommendation, however often its event is delivered.
            models.UniqueConstraint(
                fields=["origin_id"],
                condition=Q(origin_kind=OriginKind.ASSEMBLY),
                name="referendum_one_draft_per_recommendation",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "voting_closes_at"], name="referendum_due_idx"),
        ]

    def __str__(self) -> str:
        return self.title_fr

    @property
    def is_online(self) -> bool:
        return self.voting_method == VotingMethod.ONLINE

    @property
    def title(self) -> str:
        return self.tr("title")

    @property
    def summary(self) -> str:
        return self.tr("summary")

    @property
    def dossier(self) -> str:
        return self.tr("dossier")


class CampaignDistrict(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, verbose_name=_("campagne"))
    district = models.ForeignKey(District, on_delete=models.PROTECT, verbose_name=_("quartier"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "district"], name="referendum_district_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.district_id}"


class ElectorateMember(models.Model):
    """The frozen electorate: one row per elector, taken once from the register at the cut-off.

    The district is copied so turnout per district never has to read the live register again.
    """

    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        verbose_name=_("campagne"),
    )
    register_entry = models.ForeignKey(
        RegisterEntry,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("inscription au registre"),
    )
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="+", verbose_name=_("quartier")
    )

    class Meta:
        verbose_name = _("électeur de la campagne")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "register_entry"], name="referendum_electorate_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.register_entry_id}"
