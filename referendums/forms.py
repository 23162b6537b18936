from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from referendums.models import Campaign


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
        return {k: v for k, v in self.cleaned_data.items() if k not in {"station", "note"}}


class ResolveForm(FiguresForm):
    note = forms.CharField(label=_("Motif de la résolution"), max_length=500)
