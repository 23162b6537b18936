"""Forms of the campaign managers' pages: a binding referendum's calendar, a polling station."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from civic.models import District
from referendums.models import PollingStation

DATE_HINT = _("Par exemple : 2027-03-14")
DATETIME_HINT = _("Date et heure, par exemple : 2027-03-14 08:00")


def _date(label: Any, *, required: bool = False) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        help_text=DATE_HINT,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def _datetime(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        help_text=DATETIME_HINT,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class CalendarForm(forms.Form):
    """The dates of a referendum's calendar (CGCT LO1112-3, -8, -9); the service checks the order
    and, once the referendum is scheduled, the legal calendar."""

    deliberation_date = _date(_("Date de la délibération"))
    prefect_transmission_date = _date(_("Transmission au préfet"))
    dossier_public_date = _date(_("Dossier d'information public le"))
    campaign_opens_at = _datetime(_("Ouverture de la campagne"))
    voting_opens_at = _datetime(_("Ouverture du scrutin"))
    voting_closes_at = _datetime(_("Clôture du scrutin"))


class StationForm(forms.Form):
    code = forms.SlugField(
        label=_("Code du bureau"),
        max_length=16,
        help_text=_("Lettres sans accent, chiffres et tirets, par exemple : centre-01"),
    )
    name = forms.CharField(label=_("Nom du bureau"), max_length=200)
    district = forms.ModelChoiceField(
        label=_("Quartier"),
        queryset=District.objects.order_by("name"),
        empty_label=_("— Choisissez un quartier —"),
    )
    registered_electors = forms.IntegerField(
        label=_("Électeurs inscrits dans ce bureau"),
        min_value=0,
        max_value=1_000_000,
        initial=0,
        help_text=_("Sert à répartir le corps électoral figé du quartier entre ses bureaux."),
    )

    @classmethod
    def for_station(cls, station: PollingStation, data: Any = None) -> StationForm:
        return cls(
            data,
            initial={
                "code": station.code,
                "name": station.name,
                "district": station.district_id,
                "registered_electors": station.registered_electors,
            },
        )

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "code": data["code"],
            "name": data["name"],
            "district_id": data["district"].pk,
            "registered_electors": data["registered_electors"],
        }
