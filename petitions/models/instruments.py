"""Instruments as data: types, ladders of rungs and what each rung obliges the city to do."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.functional import lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from civic.eligibility import Predicate
from petitions.law import instrument_type_violations, rung_violations

# Position of the "all signatures" figure in the count table; tracks use 0..MAX_TRACKS-1 (bits of a
# signature's mask).
TOTAL_TRACK = -1
MAX_TRACKS = 8
COUNT_SLOTS = 16


def in_language(french: str, english: str) -> str:
    """Staff-written text in the reader's language: the English version when there is one."""
    if (get_language() or "fr")[:2] == "en" and english:
        return english
    return french


# The same, chosen when rendered: a notification renders in its recipient's language.
in_language_lazy = lazy(in_language, str)


class LegalRegime(models.TextChoices):
    CHARTER = "charter", _("Charte de la participation (engagement de la ville)")
    L1112_16 = "l1112_16", _("Pétition pour une consultation (CGCT L1112-16)")
    L5211_49 = "l5211_49", _("Pétition intercommunale (CGCT L5211-49)")


class Collectivity(models.TextChoices):
    COMMUNE = "commune", _("Commune")
    OTHER = "other", _("Autre collectivité territoriale")
    INTERCOMMUNALITY = "intercommunality", _("Établissement public de coopération intercommunale")


class RungKind(models.TextChoices):
    ABSOLUTE = "absolute", _("Nombre de signatures")
    SHARE = "share", _("Part de la population éligible")


class ObligationKind(models.TextChoices):
    MEETING = "meeting", _("Rencontre avec les élus et compte rendu publié")
    COUNCIL_AGENDA = "council_agenda", _("Inscription à l'ordre du jour du conseil municipal")
    REFERENDUM_DEBATE = "referendum_debate", _("Débat du conseil sur un référendum local")
    ASSEMBLY_AGENDA = "assembly_agenda", _("Inscription à l'ordre du jour de l'assemblée citoyenne")


class InstrumentType(models.Model):
    slug = models.SlugField(_("identifiant"), max_length=64, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    name_en = models.CharField(_("nom (anglais)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("description (anglais)"), blank=True)
    legal_regime = models.CharField(
        _("régime"), max_length=16, choices=LegalRegime.choices, default=LegalRegime.CHARTER
    )
    collectivity = models.CharField(
        _("collectivité"), max_length=16, choices=Collectivity.choices, default=Collectivity.COMMUNE
    )
    legal_basis = models.CharField(
        _("fondement"),
        max_length=120,
        help_text=_("L'article ou la charte qui fonde l'instrument, cité dans chaque refus."),
    )
    predicate = models.CharField(_("qui peut signer"), max_length=32, choices=Predicate.choices)
    window_days = models.PositiveIntegerField(_("durée de collecte (jours)"))
    min_promoters = models.PositiveSmallIntegerField(
        _("nombre minimal de porteurs"),
        default=1,
        help_text=_("Y compris la personne qui lance l'initiative."),
    )
    quarter_limit = models.BooleanField(
        _("une seule demande par signataire et par trimestre"), default=False
    )
    quarter_limit_rule = models.CharField(
        _("article de la limite trimestrielle"), max_length=120, blank=True
    )
    # CIVIC-RULES (personal data): who signed is kept this long after the collection ended (and
    # while an obligation is open), long enough for admissibility checks and challenges.
    retention_days = models.PositiveIntegerField(
        _("conservation des signataires (jours après la clôture)"),
        default=180,
        validators=[MinValueValidator(1)],
    )
    active = models.BooleanField(_("proposé aux habitants"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("type d'instrument")
        verbose_name_plural = _("types d'instrument")
        constraints = [
            models.CheckConstraint(
                condition=Q(window_days__gte=1), name="instrument_window_positive"
            ),
            models.CheckConstraint(
                condition=Q(min_promoters__gte=1), name="instrument_min_promoters_positive"
            ),
            models.CheckConstraint(
                condition=Q(quarter_limit=False) | ~Q(quarter_limit_rule=""),
                name="instrument_quarter_limit_names_rule",
            ),
        ]

    def __str__(self) -> str:
        return self.localized_name

    @property
    def localized_name(self) -> str:
        return in_language(self.name, self.name_en)

    @property
    def localized_description(self) -> str:
        return in_language(self.description, self.description_en)

    def clean(self) -> None:
        instrument_type_violations(self)


class Rung(models.Model):
    instrument_type = models.ForeignKey(
        InstrumentType, on_delete=models.CASCADE, related_name="rungs", verbose_name=_("instrument")
    )
    order = models.PositiveSmallIntegerField(_("ordre"))
    kind = models.CharField(_("type de seuil"), max_length=8, choices=RungKind.choices)
    absolute_value = models.PositiveIntegerField(_("nombre de signatures"), null=True, blank=True)
    numerator = models.PositiveIntegerField(_("numérateur"), null=True, blank=True)
    denominator = models.PositiveIntegerField(_("dénominateur"), null=True, blank=True)
    obligation_kind = models.CharField(
        _("engagement"), max_length=24, choices=ObligationKind.choices
    )
    obligation_text = models.TextField(_("ce que la ville doit faire"))
    obligation_text_en = models.TextField(_("ce que la ville doit faire (anglais)"), blank=True)
    due_days = models.PositiveIntegerField(_("délai (jours)"))

    class Meta:
        ordering = ["instrument_type", "order"]
        verbose_name = _("palier")
        verbose_name_plural = _("paliers")
        constraints = [
            models.UniqueConstraint(fields=["instrument_type", "order"], name="rung_order_unique"),
            models.CheckConstraint(
                condition=(
                    Q(
                        kind=RungKind.ABSOLUTE,
                        absolute_value__gte=1,
                        numerator__isnull=True,
                        denominator__isnull=True,
                    )
                    | Q(
                        kind=RungKind.SHARE,
                        absolute_value__isnull=True,
                        numerator__gte=1,
                        denominator__gte=1,
                    )
                ),
                name="rung_kind_values",
            ),
            models.CheckConstraint(
                condition=Q(numerator__isnull=True) | Q(numerator__lte=models.F("denominator")),
                name="rung_share_at_most_one",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == RungKind.SHARE:
            return f"{self.numerator}/{self.denominator}"
        return str(self.absolute_value)

    @property
    def localized_obligation_text(self) -> str:
        return in_language(self.obligation_text, self.obligation_text_en)

    def clean(self) -> None:
        rung_violations(self)
