from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from assembly.models import Feature, FeatureKind, Majority, Mandate, MotionKind, VoteChoice


class VolunteerForm(forms.Form):
    """Sign-up from an invitation: declared criteria, contact, consent. Age band and district come
    from the register and are not asked."""

    email = forms.EmailField(label=_("Adresse e-mail (facultatif)"), required=False)
    phone = forms.CharField(label=_("Téléphone (facultatif)"), max_length=32, required=False)
    consent = forms.BooleanField(
        label=_(
            "J'accepte de participer au tirage au sort. Mes critères (genre, tranche d'âge, quartier, "
            "etc.) seront publiés sous un pseudonyme pour que chacun puisse vérifier le tirage."
        ),
        required=True,
    )

    def __init__(self, *args: Any, mandate: Mandate, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.declared_keys: list[str] = []
        features = (
            Feature.objects.filter(mandate=mandate)
            .exclude(kind__in=[FeatureKind.AGE_BAND, FeatureKind.DISTRICT])
            .prefetch_related("quotas")
        )
        for feature in features:
            self.fields[f"feature_{feature.key}"] = forms.ChoiceField(
                label=feature.label,
                choices=[(q.value, q.label) for q in feature.quotas.all()],
                widget=forms.RadioSelect,
            )
            self.declared_keys.append(feature.key)
        # Consent last, after what it consents to.
        self.order_fields(
            [f"feature_{k}" for k in self.declared_keys] + ["email", "phone", "consent"]
        )

    def declared(self) -> dict[str, str]:
        return {k: self.cleaned_data[f"feature_{k}"] for k in self.declared_keys}


class MotionForm(forms.Form):
    title = forms.CharField(label=_("Intitulé"), max_length=255)
    text = forms.CharField(
        label=_("Texte"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    majority = forms.ChoiceField(label=_("Majorité requise"), choices=Majority.choices)
    kind = forms.ChoiceField(label=_("Nature"), choices=MotionKind.choices)
    minutes_session = forms.IntegerField(
        label=_("Séance dont le procès-verbal est approuvé (numéro)"), required=False
    )


class VoteForm(forms.Form):
    choice = forms.ChoiceField(label=_("Vote"), choices=VoteChoice.choices)


class MinutesForm(forms.Form):
    body = forms.CharField(label=_("Procès-verbal"), widget=forms.Textarea(attrs={"rows": 16}))
