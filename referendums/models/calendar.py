"""The electoral calendar the LO1112-6 checks read: council renewals and election campaigns."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ElectoralEventKind(models.TextChoices):
    COUNCIL_RENEWAL = "council_renewal", _("Renouvellement du conseil municipal")
    ELECTION_CAMPAIGN = "election_campaign", _("Campagne électorale (nationale ou locale)")


class ElectoralCalendarEntry(models.Model):
    """Dates staff keep up to date: council renewals and election campaigns (LO1112-6)."""

    kind = models.CharField(_("type"), max_length=20, choices=ElectoralEventKind.choices)
    label = models.CharField(_("libellé"), max_length=200)
    starts_on = models.DateField(_("début (ou jour du scrutin du renouvellement)"))
    ends_on = models.DateField(_("fin"), null=True, blank=True)

    class Meta:
        ordering = ["starts_on"]
        verbose_name = _("échéance électorale")
        verbose_name_plural = _("calendrier électoral")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="referendum_calendar_entry_ordered",
            ),
            models.CheckConstraint(
                condition=Q(kind=ElectoralEventKind.COUNCIL_RENEWAL) | Q(ends_on__isnull=False),
                name="referendum_campaign_entry_has_end",
            ),
        ]

    def __str__(self) -> str:
        return self.label
