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
