"""Guided initiative creation: the steps, the answers kept in the session between them, and the
forms of each step. Nothing here writes an initiative: the last step calls
`services.initiative_create` (and `services.promoter_invite`), the only writers.

The instrument is chosen by a plain question ("what do you expect from the city?") whose answers
map onto the instrument types the city offers (data, not code): a charter instrument for a public
commitment of the city, a legal one for a consultation, or both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from petitions.forms import InitiativeTextForm
from petitions.models import InstrumentType, LegalRegime

STEPS: tuple[str, ...] = ("instrument", "text", "co-initiators", "preview", "next")
# The steps whose answers the next ones need, in order; "next" is shown once the draft exists.
ANSWER_STEPS = STEPS[:3]
SESSION_KEY = "petitions.guided"
CREATED_KEY = "petitions.guided.created"
MAX_CO_INITIATORS = 10


@dataclass
class Goal:
    key: str
    label: Any
    types: list[InstrumentType] = field(default_factory=list)


def goals() -> list[Goal]:
    """The answers to "what do you expect from the city?", each with the instruments it leads to;
    an answer the city offers no instrument for is not proposed."""
    active = list(InstrumentType.objects.filter(active=True).prefetch_related("rungs"))
    charter = next((t for t in active if t.legal_regime == LegalRegime.CHARTER), None)
    legal = next((t for t in active if t.legal_regime != LegalRegime.CHARTER), None)
    options = [
        Goal(
            "commitment",
            _("Une réponse publique de la ville, qui s'engage davantage à chaque palier atteint"),
            [charter] if charter else [],
        ),
        Goal(
            "consultation",
            _(
                "Que le conseil municipal délibère sur l'organisation d'une consultation des électeurs"
            ),
            [legal] if legal else [],
        ),
        Goal(
            "both",
            _("Les deux : chaque signature compte sur chaque volet où elle est recevable"),
            [charter, legal] if charter and legal else [],
        ),
    ]
    return [goal for goal in options if goal.types]


class InstrumentChoiceForm(forms.Form):
    goal = forms.ChoiceField(
        label=_("Qu'attendez-vous de la ville ?"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choisissez ce que vous attendez de la ville.")},
    )

    def __init__(self, *args: Any, goals: list[Goal], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.goals = goals
        self.fields["goal"].choices = [(g.key, g.label) for g in goals]  # type: ignore[attr-defined]


class CoInitiatorsForm(forms.Form):
    emails = forms.CharField(
        label=_("Adresses e-mail des co-porteurs"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off"}),
        help_text=_("Une adresse par ligne, celle du compte de chaque personne."),
    )

    def __init__(self, *args: Any, own_email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.own_email = own_email.lower()

    def clean_emails(self) -> list[str]:
        raw = self.cleaned_data.get("emails") or ""
        emails = list(dict.fromkeys(e.strip().lower() for e in raw.replace(",", "\n").split()))
        emails = [e for e in emails if e]
        bad = []
        for email in emails:
            try:
                validate_email(email)
            except ValidationError:
                bad.append(email)
        if bad:
            raise ValidationError(
                _("Adresse e-mail invalide : %(emails)s.") % {"emails": ", ".join(bad)}
            )
        if self.own_email in emails:
            raise ValidationError(_("Vous êtes déjà porteur : n'indiquez pas votre adresse."))
        if len(emails) > MAX_CO_INITIATORS:
            raise ValidationError(
                _("Invitez au plus %(max)s personnes.") % {"max": MAX_CO_INITIATORS}
            )
        return emails


def answers(session: SessionBase) -> dict[str, Any]:
    return dict(session.get(SESSION_KEY) or {})


def answers_save(session: SessionBase, step: str, data: dict[str, Any]) -> None:
    saved = answers(session)
    saved[step] = data
    session[SESSION_KEY] = saved


def answers_forget(session: SessionBase) -> None:
    session.pop(SESSION_KEY, None)


def first_missing_step(saved: dict[str, Any], step: str) -> str | None:
    """The first earlier step still unanswered (a step is reached only in order)."""
    for earlier in ANSWER_STEPS[: STEPS.index(step)]:
        if earlier not in saved:
            return earlier
    return None


def chosen_types(saved: dict[str, Any]) -> list[InstrumentType]:
    key = (saved.get("instrument") or {}).get("goal")
    return next((g.types for g in goals() if g.key == key), [])


def text_form(data: Any = None, *, saved: dict[str, Any]) -> InitiativeTextForm:
    return InitiativeTextForm(data, initial=saved.get("text") or {})


def text_answers(form: InitiativeTextForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data["district"] = data["district"].pk if data.get("district") else None
    return data
