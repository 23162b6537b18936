"""Forms of the pages (labels in French; the services do the checking)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from civic.models import District
from petitions.documents import ACCEPT
from petitions.models import (
    Channel,
    InstrumentType,
    InvalidationReason,
    ObligationKind,
    RejectionReason,
    Status,
)
from petitions.models.paper import MAX_SHEETS


class InitiativeFilterForm(forms.Form):
    q = forms.CharField(label=_("Rechercher"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("État"), required=False, choices=[("", _("Tous")), *list(Status.choices)]
    )
    district = forms.ChoiceField(label=_("Quartier"), required=False)
    instrument = forms.ChoiceField(label=_("Instrument"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        district = cast(forms.ChoiceField, self.fields["district"])
        district.choices = [("", _("Tous"))] + [
            (d.code, d.name) for d in District.objects.order_by("name")
        ]
        instrument = cast(forms.ChoiceField, self.fields["instrument"])
        instrument.choices = [("", _("Tous"))] + [
            (t.slug, t.localized_name)
            for t in InstrumentType.objects.filter(active=True).order_by("name")
        ]


class InitiativeTextForm(forms.Form):
    """What an initiative says: its title, summary, text and the district it concerns."""

    title = forms.CharField(label=_("Titre"), max_length=200)
    summary = forms.CharField(
        label=_("Résumé"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    body = forms.CharField(label=_("Texte de l'initiative"), widget=forms.Textarea)
    district = forms.ModelChoiceField(
        label=_("Quartier concerné"),
        queryset=District.objects.order_by("name"),
        required=False,
        empty_label=_("Toute la ville"),
    )


class InitiativeForm(InitiativeTextForm):
    instruments = forms.MultipleChoiceField(
        label=_("Instruments"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Une même initiative peut suivre la charte et la voie légale : chaque signature compte sur chaque volet où elle est recevable."
        ),
    )
    field_order = ["title", "summary", "body", "instruments", "district"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["instruments"]).choices = [
            (t.slug, t.localized_name)
            for t in InstrumentType.objects.filter(active=True).order_by("name")
        ]


class InviteForm(forms.Form):
    email = forms.EmailField(
        label=_("Adresse e-mail du compte de la personne"),
        help_text=_("La personne doit avoir créé son compte."),
    )


class RejectForm(forms.Form):
    reason = forms.ModelChoiceField(
        label=_("Motif"), queryset=RejectionReason.objects.filter(active=True), to_field_name="code"
    )
    text = forms.CharField(label=_("Explication"), required=False, widget=forms.Textarea)


class PaperImportForm(forms.Form):
    file = forms.FileField(label=_("Fichier CSV (UTF-8)"))


class PaperForm(forms.Form):
    register_ref = forms.CharField(
        label=_("Référence au registre (si connue)"), required=False, max_length=64
    )
    last_name = forms.CharField(label=_("Nom"), required=False, max_length=150)
    first_names = forms.CharField(label=_("Prénoms"), required=False, max_length=150)
    birth_date = forms.DateField(
        label=_("Date de naissance"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sheet_ref = forms.CharField(label=_("Feuille et ligne"), required=False, max_length=64)
    batch_code = forms.CharField(
        label=_("Code du lot (imprimé sur la feuille, ou lu dans son QR code)"),
        required=False,
        max_length=300,
        help_text=_("Par exemple K7QM-2XWD-9TA ; il reste rempli pour les lignes suivantes."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        by_name = data.get("last_name") and data.get("first_names") and data.get("birth_date")
        if not data.get("register_ref") and not by_name:
            raise forms.ValidationError(
                _(
                    "Indiquez la référence au registre, ou le nom, les prénoms et la date de naissance."
                )
            )
        return data


class PaperBatchForm(forms.Form):
    sheets = forms.IntegerField(
        label=_("Nombre de feuilles (10 lignes chacune)"),
        min_value=1,
        max_value=MAX_SHEETS,
        initial=20,
    )


class ObligationDoneForm(forms.Form):
    evidence = forms.CharField(
        label=_("Preuve : lien ou texte (compte rendu, délibération)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )


class ObligationFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Engagement"),
        required=False,
        choices=[("", _("Tous")), *list(ObligationKind.choices)],
    )
    overdue = forms.BooleanField(label=_("En retard seulement"), required=False)


class InvalidationForm(forms.Form):
    """Criteria of an invalidation (every one given must hold), its reason and, once counted,
    the count the moderator confirms. The services check the values (stable error codes)."""

    name = forms.CharField(
        label=_("Nom (prénoms nom)"), required=False, max_length=254, help_text=_("% : joker")
    )
    email = forms.CharField(
        label=_("Adresse e-mail"),
        required=False,
        max_length=254,
        help_text=_("% : joker ; points et +étiquette ignorés"),
    )
    domain = forms.CharField(
        label=_("Domaine e-mail"), required=False, max_length=254, help_text=_("ex. %.example")
    )
    ip = forms.CharField(
        label=_("Adresse IP ou plage"),
        required=False,
        max_length=64,
        help_text=_("ex. 203.0.113.7 ou 203.0.113.0/24"),
    )
    district = forms.ChoiceField(label=_("Quartier"), required=False)
    created_after = forms.DateTimeField(
        label=_("Signées à partir de"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    created_before = forms.DateTimeField(
        label=_("Signées avant"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    channel = forms.ChoiceField(label=_("Canal"), required=False)
    entered_by = forms.IntegerField(
        label=_("Lot papier : numéro de l'agent qui l'a saisi"), required=False, min_value=1
    )
    register_entry_ids = forms.CharField(
        label=_("Numéros d'inscription au registre"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("séparés par des espaces ou des virgules"),
    )
    reason = forms.ChoiceField(label=_("Motif public"))
    note = forms.CharField(label=_("Remarque interne"), required=False, max_length=255)
    expected = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        district = cast(forms.ChoiceField, self.fields["district"])
        district.choices = [("", _("Tous"))] + [
            (d.code, d.name) for d in District.objects.order_by("name")
        ]
        cast(forms.ChoiceField, self.fields["channel"]).choices = [
            ("", _("Tous")),
            *Channel.choices,
        ]
        cast(forms.ChoiceField, self.fields["reason"]).choices = InvalidationReason.choices

    def clean_register_entry_ids(self) -> list[int]:
        text = self.cleaned_data.get("register_entry_ids") or ""
        parts = [p for p in text.replace(",", " ").split() if p]
        if not all(p.isdigit() for p in parts):
            raise forms.ValidationError(_("Des numéros seulement."))
        return [int(p) for p in parts]

    def criteria(self) -> dict[str, Any]:
        data = self.cleaned_data
        found: dict[str, Any] = {}
        for key in ("name", "email", "domain", "ip", "district", "channel", "entered_by"):
            if data.get(key) not in (None, ""):
                found[key] = data[key]
        for key in ("created_after", "created_before"):
            if data.get(key):
                found[key] = data[key].isoformat()
        if data.get("register_entry_ids"):
            found["register_entry_ids"] = data["register_entry_ids"]
        return found


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif public"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Affiché sur la page de l'initiative, avec la date."),
    )


class ExtendForm(ReasonForm):
    days = forms.IntegerField(label=_("Prolonger de (jours)"), min_value=1, max_value=3650)

    field_order = ["days", "reason"]


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Titre du document"), max_length=200)
    file = forms.FileField(
        label=_("Fichier"),
        allow_empty_file=True,
        help_text=_("PDF, ODT, DOCX, PNG ou JPEG ; le contenu du fichier est vérifié."),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )


class WithdrawDocumentForm(ReasonForm):
    """Withdrawing a document of the city's answer: the public reason, and a confirmation."""

    confirm = forms.BooleanField(
        label=_(
            "Je confirme : le fichier ne sera plus téléchargeable, son retrait restera public."
        ),
    )


class ReplaceDocumentForm(DocumentForm):
    """Replacing a document of the city's answer: the new file, its title (the old one's if left
    empty) and the public reason."""

    reason = forms.CharField(
        label=_("Motif public"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Affiché sur la page de l'initiative, avec la date."),
    )

    confirm = forms.BooleanField(
        label=_(
            "Je confirme : l'ancien fichier ne sera plus téléchargeable, son remplacement restera "
            "public."
        ),
    )

    field_order = ["file", "title", "reason", "confirm"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["title"].required = False
        self.fields["title"].help_text = _("Laissé vide : le titre du document remplacé.")
