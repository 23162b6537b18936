"""The paper referendum: polling stations and per-station result sheets entered twice."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from civic.models import District
from referendums.models.campaigns import Campaign


class PollingStation(models.Model):
    code = models.SlugField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    # Where electors go to vote: shown to residents by the polling-station finder.
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="+", verbose_name=_("quartier")
    )
    # The roll's figure for this station: it only apportions the district's frozen electorate
    # among the district's stations when a vote freezes it (see StationElectorate).
    registered_electors = models.PositiveIntegerField(_("électeurs inscrits"), default=0)

    class Meta:
        ordering = ["code"]
        verbose_name = _("bureau de vote")
        verbose_name_plural = _("bureaux de vote")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


def _sheet_consistent(prefix: str = "") -> Q:
    return Q(**{f"{prefix}voters__lte": F(f"{prefix}registered")}) & Q(
        **{
            f"{prefix}voters": F(f"{prefix}blank")
            + F(f"{prefix}null")
            + F(f"{prefix}yes")
            + F(f"{prefix}no")
        }
    )


class StationElectorate(models.Model):
    """A paper vote's electors per polling station, frozen with its electorate: the district's
    frozen electors, shared among the district's stations of the scope in proportion to their roll
    figures. A result sheet's "registered" must equal it (or be resolved with a written reason),
    and the LO1112-7 quorum counts it, never a typed figure. The database refuses any change once
    the electorate is frozen (migration 0003)."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="+", verbose_name=_("campagne")
    )
    station = models.ForeignKey(
        PollingStation, on_delete=models.PROTECT, related_name="+", verbose_name=_("bureau de vote")
    )
    electors = models.PositiveIntegerField(_("électeurs du corps électoral figé"))

    class Meta:
        ordering = ["campaign", "station"]
        verbose_name = _("électeurs figés d'un bureau")
        verbose_name_plural = _("électeurs figés par bureau")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "station"], name="referendum_station_electorate_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.station_id}={self.electors}"


class ResultSheet(models.Model):
    """One keying of a station's minutes. Two keyings by two different people per station."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="+", verbose_name=_("campagne")
    )
    station = models.ForeignKey(
        PollingStation, on_delete=models.PROTECT, related_name="+", verbose_name=_("bureau de vote")
    )
    entry_number = models.PositiveSmallIntegerField(_("saisie n°"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("saisi par"),
    )
    entered_at = models.DateTimeField(auto_now_add=True, verbose_name=_("saisi le"))
    registered = models.PositiveIntegerField(_("inscrits"))
    voters = models.PositiveIntegerField(_("votants"))
    blank = models.PositiveIntegerField(_("blancs"))
    null = models.PositiveIntegerField(_("nuls"))
    yes = models.PositiveIntegerField(_("oui"))
    no = models.PositiveIntegerField(_("non"))
    # Why the minutes' "registered" differs from the station's frozen electorate (empty when equal).
    registered_note = models.CharField(_("motif de l'écart d'inscrits"), max_length=500, blank=True)

    class Meta:
        ordering = ["campaign", "station", "entry_number"]
        verbose_name = _("saisie de procès-verbal")
        verbose_name_plural = _("saisies de procès-verbaux")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "station", "entry_number"], name="referendum_sheet_entry_unique"
            ),
            # The two keyings of one station are by two different people.
            models.UniqueConstraint(
                fields=["campaign", "station", "entered_by"], name="referendum_sheet_two_authors"
            ),
            models.CheckConstraint(
                condition=Q(entry_number__in=[1, 2]), name="referendum_sheet_entry_number"
            ),
            models.CheckConstraint(condition=_sheet_consistent(), name="referendum_sheet_sums"),
        ]

    def __str__(self) -> str:
        return f"{self.station_id}#{self.entry_number}"

    def figures(self) -> dict[str, int]:
        return {f: getattr(self, f) for f in SHEET_FIELDS}


SHEET_FIELDS = ("registered", "voters", "blank", "null", "yes", "no")


class StationStatus(models.TextChoices):
    PENDING = "pending", _("En attente de la seconde saisie")
    AGREED = "agreed", _("Saisies concordantes")
    DISCREPANCY = "discrepancy", _("Écart entre les saisies")
    RESOLVED = "resolved", _("Écart résolu")


class StationResult(models.Model):
    """The figures that count for one station: set when both keyings agree or a resolution
    settles a discrepancy."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="+", verbose_name=_("campagne")
    )
    station = models.ForeignKey(
        PollingStation, on_delete=models.PROTECT, related_name="+", verbose_name=_("bureau de vote")
    )
    status = models.CharField(
        max_length=12,
        choices=StationStatus.choices,
        default=StationStatus.PENDING,
        verbose_name=_("état"),
    )
    registered = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("inscrits"))
    voters = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("votants"))
    blank = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("blancs"))
    null = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("nuls"))
    yes = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("oui"))
    no = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("non"))
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("résolu par"),
    )
    resolution_note = models.CharField(
        max_length=500, blank=True, verbose_name=_("motif de la résolution")
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("mis à jour le"))

    class Meta:
        ordering = ["campaign", "station"]
        verbose_name = _("résultat de bureau")
        verbose_name_plural = _("résultats par bureau")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "station"], name="referendum_station_result_unique"
            ),
            # Counted figures exist exactly when the station counts, and are consistent.
            models.CheckConstraint(
                condition=(
                    Q(status__in=[StationStatus.AGREED, StationStatus.RESOLVED])
                    & Q(registered__isnull=False)
                    & _sheet_consistent()
                )
                | (
                    Q(status__in=[StationStatus.PENDING, StationStatus.DISCREPANCY])
                    & Q(registered__isnull=True, voters__isnull=True, yes__isnull=True)
                ),
                name="referendum_station_result_counted",
            ),
            models.CheckConstraint(
                condition=~Q(status=StationStatus.RESOLVED) | Q(resolved_by__isnull=False),
                name="referendum_station_resolved_by",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.station_id} {self.status}"
