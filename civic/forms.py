from django import forms
from django.utils.translation import gettext_lazy as _


class VerificationForm(forms.Form):
    last_name = forms.CharField(label=_("Nom de naissance ou d'usage"), max_length=150)
    first_names = forms.CharField(label=_("Prénoms (dans l'ordre de l'état civil)"), max_length=150)
    birth_date = forms.DateField(
        label=_("Date de naissance"),
        help_text=_("Format : AAAA-MM-JJ, par exemple 1984-03-27."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    roll_number = forms.CharField(
        label=_("Numéro d'électeur (facultatif)"),
        max_length=32,
        required=False,
        help_text=_("Il figure sur votre carte électorale."),
    )
    address = forms.CharField(
        label=_("Adresse (si vous n'avez pas de numéro d'électeur)"), max_length=255, required=False
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if not data.get("roll_number") and not data.get("address"):
            raise forms.ValidationError(_("Indiquez votre numéro d'électeur ou votre adresse."))
        return data


class RegisterImportForm(forms.Form):
    file = forms.FileField(label=_("Fichier CSV (UTF-8)"))
    strict = forms.BooleanField(
        label=_("Tout refuser si une ligne est rejetée"), required=False, initial=False
    )
    confirm_strike_offs = forms.BooleanField(
        label=_("Confirmer les radiations, même nombreuses"), required=False, initial=False
    )


class DeskVerificationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail du compte"))
    entry_ref = forms.CharField(label=_("Référence de l'inscription au registre"), max_length=64)
