from __future__ import annotations

import copy
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from civic.models import District
from referendums.legal_calendar import calendar_violations
from referendums.models import Campaign, CampaignKind, CampaignStatus
from referendums.models.campaigns import CALENDAR_FIELDS
from referendums.services.campaigns import calendar_facts


class VoteForm(forms.Form):
    """One radio group per question (works without JavaScript)."""

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        for question in campaign.questions.all():
            self.fields[f"q{question.pk}"] = forms.ChoiceField(
                label=question.tr("text"),
                choices=[(o.key, o.tr("label")) for o in question.options.all()],
                widget=forms.RadioSelect,
            )

    def choices(self) -> dict[str, str]:
        return {name[1:]: value for name, value in self.cleaned_data.items()}

    def summary(self) -> list[tuple[str, str]]:
        labels = []
        for question in self.campaign.questions.all():
            key = self.cleaned_data[f"q{question.pk}"]
            option = next(o for o in question.options.all() if o.key == key)
            labels.append((question.tr("text"), option.tr("label")))
        return labels


class ReceiptForm(forms.Form):
    receipt = forms.CharField(
        label=_("Code de récépissé"),
        max_length=64,
        help_text=_("Le code affiché après votre vote, par exemple ABCD-EFGH-IJKL-MNOP-QRST."),
    )


class FiguresForm(forms.Form):
    station = forms.ChoiceField(label=_("Bureau de vote"))
    registered = forms.IntegerField(label=_("Inscrits"), min_value=0)
    voters = forms.IntegerField(label=_("Votants"), min_value=0)
    blank = forms.IntegerField(label=_("Bulletins blancs"), min_value=0)
    null = forms.IntegerField(label=_("Bulletins nuls"), min_value=0)
    yes = forms.IntegerField(label=_("Oui"), min_value=0)
    no = forms.IntegerField(label=_("Non"), min_value=0)

    def __init__(self, *args: Any, stations: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["station"].choices = stations  # type: ignore[attr-defined]

    def figures(self) -> dict[str, int]:
        return {
            k: v
            for k, v in self.cleaned_data.items()
            if k not in {"station", "note", "registered_note"}
        }


class EntryForm(FiguresForm):
    registered_note = forms.CharField(
        label=_("Motif de l'écart d'inscrits"),
        max_length=500,
        required=False,
        help_text=_(
            "Seulement si le procès-verbal indique un nombre d'inscrits différent du corps "
            "électoral figé du bureau ; un tiers devra ensuite résoudre l'écart."
        ),
    )


class ResolveForm(FiguresForm):
    note = forms.CharField(label=_("Motif de la résolution"), max_length=500)


def calendar_refusals(campaign: Campaign) -> list[str]:
    """The LO1112 refusals of a scheduled binding referendum, each naming its article (empty for any
    other campaign): the same validator and the same rule as the scheduling service."""
    if (
        campaign.kind != CampaignKind.BINDING_REFERENDUM
        or campaign.status != CampaignStatus.SCHEDULED
    ):
        return []
    return [
        _("%(rule)s : %(detail)s") % {"rule": v.rule, "detail": v.detail}
        for v in calendar_violations(calendar_facts(campaign))
    ]


class CampaignAdminForm(forms.ModelForm):
    """The admin's change form: an edit of a scheduled binding referendum passes the LO1112 calendar
    as an edit through the service does (a draft is checked when it is scheduled)."""

    class Meta:
        model = Campaign
        # The admin builds the form with its own field list (the campaign admin's fields).
        fields = [*CALENDAR_FIELDS, "title_fr", "title_en"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.pk is None or any(name in self.errors for name in CALENDAR_FIELDS):
            return cleaned
        edited = copy.copy(self.instance)  # the instance itself is filled only after clean()
        for name, value in cleaned.items():
            if name in CALENDAR_FIELDS:
                setattr(edited, name, value)
        refusals = calendar_refusals(edited)
        if refusals:
            raise forms.ValidationError(refusals, code="lo1112")
        return cleaned


class StationFinderForm(forms.Form):
    q = forms.CharField(
        label=_("Votre rue"),
        required=False,
        max_length=120,
        help_text=_("Par exemple : rue Carnot. Le numéro n'est pas nécessaire."),
    )
    district = forms.ChoiceField(label=_("ou votre quartier"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["district"]).choices = [
            ("", _("Tous les quartiers"))
        ] + [(d.code, d.name) for d in District.objects.order_by("name")]
