"""What the law allows an instrument type to say (CGCT), checked when staff edit one.

The models' `clean()` calls these validators, so this module imports no model at run time.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from civic.eligibility import Predicate

if TYPE_CHECKING:
    from petitions.models import InstrumentType, Rung

# CGCT L1112-16: 1/10 of the electors for a commune, 1/20 for other collectivités; L5211-49: 1/10 of
# the electors of the member communes.
LEGAL_SHARE: dict[tuple[str, str], tuple[Fraction, str]] = {
    ("l1112_16", "commune"): (Fraction(1, 10), "CGCT L1112-16"),
    ("l1112_16", "other"): (Fraction(1, 20), "CGCT L1112-16"),
    ("l5211_49", "intercommunality"): (Fraction(1, 10), "CGCT L5211-49"),
}
LEGAL_PREDICATES = frozenset({Predicate.MUNICIPAL_ELECTOR, Predicate.REGISTERED_ELECTOR})


def instrument_type_violations(instrument: InstrumentType) -> None:
    """Raise a ValidationError naming the article for what the law forbids this type to say."""
    errors: dict[str, list[str]] = {}
    if instrument.legal_regime == "l1112_16" and instrument.collectivity == "intercommunality":
        errors.setdefault("collectivity", []).append(
            _("CGCT L1112-16 vise les collectivités territoriales ; un EPCI relève de L5211-49.")
        )
    if instrument.legal_regime == "l5211_49" and instrument.collectivity != "intercommunality":
        errors.setdefault("collectivity", []).append(
            _("CGCT L5211-49 ne s'applique qu'aux établissements intercommunaux.")
        )
    if instrument.legal_regime != "charter":
        if instrument.predicate not in LEGAL_PREDICATES:
            errors.setdefault("predicate", []).append(
                _("CGCT L1112-16 : seuls les électeurs inscrits peuvent signer cette demande.")
            )
        if not instrument.quarter_limit:
            errors.setdefault("quarter_limit", []).append(
                _(
                    "CGCT L1112-16 : un électeur ne peut signer qu'une demande par trimestre ; la limite est obligatoire."
                )
            )
    if instrument.quarter_limit and not instrument.quarter_limit_rule:
        errors.setdefault("quarter_limit_rule", []).append(
            _("Nommez l'article qui fonde la limite trimestrielle.")
        )
    if errors:
        raise ValidationError(errors)


def rung_violations(rung: Rung) -> None:
    errors: dict[str, list[str]] = {}
    if rung.kind == "absolute":
        if not rung.absolute_value:
            errors.setdefault("absolute_value", []).append(_("Indiquez un nombre de signatures."))
        if rung.numerator or rung.denominator:
            errors.setdefault("numerator", []).append(
                _("Un seuil en nombre ne porte pas de fraction.")
            )
    else:
        if not rung.numerator or not rung.denominator or rung.numerator > rung.denominator:
            errors.setdefault("numerator", []).append(_("Indiquez une fraction entre 0 et 1."))
        if rung.absolute_value:
            errors.setdefault("absolute_value", []).append(
                _("Un seuil en part ne porte pas de nombre absolu.")
            )
    instrument = getattr(rung, "instrument_type", None) if rung.instrument_type_id else None
    if instrument is not None and instrument.legal_regime != "charter":
        legal = LEGAL_SHARE.get((instrument.legal_regime, instrument.collectivity))
        if legal is not None:
            share, article = legal
            if rung.kind != "share" or not rung.numerator or not rung.denominator:
                errors.setdefault("kind", []).append(
                    _("%(article)s fixe le seuil en part des électeurs inscrits (%(share)s).")
                    % {"article": article, "share": f"{share.numerator}/{share.denominator}"}
                )
            elif Fraction(rung.numerator, rung.denominator) != share:
                # Higher would deny electors a right the law gives them; lower would present a city
                # commitment as the legal request. Either way the article decides the share.
                errors.setdefault("numerator", []).append(
                    _(
                        "%(article)s : pour une %(collectivity)s, la demande doit réunir %(share)s des électeurs inscrits."
                    )
                    % {
                        "article": article,
                        "collectivity": instrument.get_collectivity_display().lower(),
                        "share": f"{share.numerator}/{share.denominator}",
                    }
                )
    if errors:
        raise ValidationError(errors)
