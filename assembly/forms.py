from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from assembly.models import Feature, FeatureKind, Majority, Mandate, MotionKind, VoteChoice


def posted_id(value: str | None) -> int:
    """An id posted by a button (`motion`, `minutes_session`); 0 for anything else, which no row
    has, so the service answers "not found"."""
    return int(value) if value and value.isdigit() else 0


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


class InvitationsForm(forms.Form):
    count = forms.IntegerField(
        label=_("Nombre de personnes à inviter"),
        min_value=1,
        max_value=100_000,
        help_text=_(
            "La graine est tirée par le serveur ; son empreinte est publiée avant le tirage du lot."
        ),
    )


class CommitmentForm(forms.Form):
    seed_expected_at = forms.DateTimeField(
        label=_("Tirage au sort à partir du (AAAA-MM-JJ HH:MM)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_(
            "L'aléa sera celui du premier tour drand (League of Entropy) produit après cette date : "
            "l'engagement publié nomme ce tour, personne ne saisit l'aléa."
        ),
    )


class LeaveForm(forms.Form):
    member = forms.TypedChoiceField(label=_("Membre qui quitte l'assemblée"), coerce=int)
    reason = forms.CharField(label=_("Motif"), max_length=200, required=False)

    def __init__(self, *args: Any, members: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # An empty first choice: the clerk names the member who leaves, nothing is preselected.
        self.fields["member"].choices = [  # type: ignore[attr-defined]
            ("", _("— Choisissez un membre —")),
            *(
                (
                    m.pk,
                    _("%(first_name)s (%(district)s, siège %(seat)s)")
                    % {"first_name": m.first_name, "district": m.district_name, "seat": m.seat},
                )
                for m in members
            ),
        ]


class SessionForm(forms.Form):
    title = forms.CharField(label=_("Intitulé"), max_length=200)
    starts_at = forms.DateTimeField(
        label=_("Date et heure (AAAA-MM-JJ HH:MM)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    place = forms.CharField(label=_("Lieu"), max_length=255)
    capacity_minutes = forms.IntegerField(
        label=_("Durée disponible (minutes)"), min_value=10, max_value=1440, initial=180
    )


class AgendaItemForm(forms.Form):
    title = forms.CharField(label=_("Intitulé du point"), max_length=255)
    duration_minutes = forms.IntegerField(label=_("Durée (minutes)"), min_value=1, max_value=600)
    source_kind = forms.ChoiceField(
        label=_("Origine"),
        choices=[("staff", _("Équipe")), ("member_proposal", _("Proposition d'un membre"))],
    )
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class ReferForm(forms.Form):
    answer_due = forms.DateField(
        label=_("Réponse du conseil attendue avant le"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Réponse du conseil municipal"), widget=forms.Textarea(attrs={"rows": 3})
    )
