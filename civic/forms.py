from django import forms
from django.utils.translation import gettext_lazy as _

from civic.models import DeskCloseReason
from civic.services.desk import NOTE_MAX

# What a birth date may be typed as, whatever the page's language: the hint's JJ/MM/AAAA first,
# its common variants, and the ISO form (what a browser's date picker sends).
BIRTH_DATE_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %m %Y", "%Y-%m-%d"]


class BirthDateField(forms.DateField):
    """A date typed as the hint says (JJ/MM/AAAA, e.g. 27/03/1984), in a plain text box: a
    browser's date picker shows a format of its own, which the hint could not describe."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("label", _("Date de naissance"))
        kwargs.setdefault("help_text", _("Sous la forme JJ/MM/AAAA, par exemple 27/03/1984."))
        kwargs.setdefault(
            "error_messages",
            {"invalid": _("Saisissez la date sous la forme JJ/MM/AAAA, par exemple 27/03/1984.")},
        )
        super().__init__(
            input_formats=BIRTH_DATE_FORMATS,
            widget=forms.TextInput(
                attrs={"inputmode": "numeric", "autocomplete": "bday", "class": "width-10"}
            ),
            **kwargs,  # type: ignore[arg-type]
        )


class VerificationForm(forms.Form):
    last_name = forms.CharField(label=_("Nom de naissance ou d'usage"), max_length=150)
    first_names = forms.CharField(label=_("Prénoms (dans l'ordre de l'état civil)"), max_length=150)
    birth_date = BirthDateField()
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


class DeskCloseForm(forms.Form):
    """Closing a desk request without verifying: a reason of the list, a note the resident reads."""

    reason = forms.ChoiceField(
        label=_("Motif de la clôture"),
        choices=DeskCloseReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choisissez le motif de la clôture.")},
    )
    note = forms.CharField(
        label=_("Note au résident (facultative)"),
        help_text=_("Le résident lira cette note dans son message et dans « Mes données »."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=NOTE_MAX,
        required=False,
    )
