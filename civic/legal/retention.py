"""Every retention period, from one source: the settings and the instruments' own fields.

The privacy notice lists `all_periods()`; the purge jobs read the same values (`core_days`, and the
instruments' jobs their own fields), so the notice cannot say one period while a job applies another
(tests/retention/test_privacy_notice_periods.py checks each against the job's behaviour).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from civic.events import KEPT_FOR as EVENTS_KEPT_FOR

INSTRUMENTS = ("petitions", "referendums", "assembly")


@dataclass(frozen=True)
class Period:
    key: str
    what: Any  # a (lazy) sentence
    days: int | None  # None: the period ends with an event, not after a number of days
    starts: Any  # from when the days run


def core_days(key: str) -> int:
    """The period the core's jobs apply, in days."""
    days = {
        "notifications": int(settings.NOTIFICATION_RETENTION_DAYS),
        "audit_identities": int(settings.AUDIT_IDENTITY_RETENTION_DAYS),
        "events": EVENTS_KEPT_FOR.days,
        "desk_requests": int(settings.DESK_REQUEST_RETENTION_DAYS),
        "staff_jobs": int(settings.STAFF_JOB_RETENTION_DAYS),
    }
    return days[key]


def core_periods() -> list[Period]:
    return [
        Period(
            "notifications",
            _("Messages de votre boîte de réception (et leur envoi par e-mail)"),
            core_days("notifications"),
            _("après leur création"),
        ),
        Period(
            "audit_identities",
            _("Adresse e-mail liée aux actions inscrites au journal d'audit"),
            core_days("audit_identities"),
            _("après la dernière action ; un pseudonyme la remplace ensuite"),
        ),
        Period(
            "events",
            _("Événements internes transmis aux abonnés de la ville"),
            core_days("events"),
            _("après leur traitement"),
        ),
        Period(
            "desk_requests",
            _(
                "Demandes de vérification au guichet, avec leur motif de clôture et la note au résident"
            ),
            core_days("desk_requests"),
            _("après la clôture de la demande ; une demande ouverte est gardée jusqu'à sa clôture"),
        ),
        Period(
            "staff_jobs",
            _(
                "Travaux des agents en arrière-plan (imports et exports), avec le fichier exporté et le rapport d'import ; le fichier importé est effacé dès la fin du travail"
            ),
            core_days("staff_jobs"),
            _("après la fin du travail"),
        ),
        Period(
            "oidc_identities",
            _("Rattachement à un fournisseur d'identité (fournisseur, identifiant, date et mode)"),
            None,
            _(
                "tant que le compte existe ; effacé avec lui, ou quand l'administrateur retire la connexion unique d'un agent"
            ),
        ),
    ]


def instrument_periods() -> list[Period]:
    """Each instrument may offer `retention_periods() -> list[dict]` in its selectors module (keys
    key, what, days, starts): the core lists them without knowing the instruments' models."""
    periods: list[Period] = []
    for app in INSTRUMENTS:
        try:
            selectors = importlib.import_module(f"{app}.selectors")
        except ModuleNotFoundError:
            continue
        offer = getattr(selectors, "retention_periods", None)
        if offer is not None:
            periods.extend(Period(**item) for item in offer())
    return periods


def all_periods() -> list[Period]:
    return [*instrument_periods(), *core_periods()]
