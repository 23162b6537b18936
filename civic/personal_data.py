"""Every personal datum the toolkit holds on a resident (GDPR art. 15 and 20): the export (JSON,
`personal_data_of`) and the same data as readable sections (`personal_data_sections`) for the
"Mes données" page.

The core gathers its own data (account, verification, register entry, notifications); each
instrument adds its part through `<app>.selectors.personal_data_export(user=...)` and says it in
words through `<app>.personal_data.personal_data_sections(data=...)`, so the core knows none of
the instruments' models.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.utils.translation import gettext as _

from civic.models import EntryKind, Notification, RegisterEntry, User, VerificationMethod

INSTRUMENTS = ("petitions", "referendums", "assembly")
NOTIFICATIONS_SHOWN = 20


def _app_module(app: str, name: str) -> Any:
    try:
        return importlib.import_module(f"{app}.{name}")
    except ModuleNotFoundError:
        return None


def personal_data_of(user: User) -> dict[str, Any]:
    data: dict[str, Any] = {
        "account": {
            "email": user.email,
            "display_name": user.display_name,
            "language": user.language,
            "date_joined": user.date_joined,
            "verified_at": user.verified_at,
            "verification_method": user.verification_method,
        },
        "register_entry": None,
        "notifications": [
            {"subject": n.subject, "created_at": n.created_at, "read_at": n.read_at}
            for n in Notification.objects.filter(recipient=user).order_by("-id")
        ],
    }
    if user.register_entry_id:
        entry = RegisterEntry.objects.select_related("district").get(pk=user.register_entry_id)
        data["register_entry"] = {
            "kind": entry.kind,
            "last_name": entry.last_name,
            "first_names": entry.first_names,
            "birth_date": entry.birth_date,
            "address": entry.address,
            "district": entry.district.code,
            "district_name": entry.district.name,
        }
    for app in INSTRUMENTS:
        selectors = _app_module(app, "selectors")
        export = getattr(selectors, "personal_data_export", None)
        if export is not None:
            data[app] = export(user=user)
    return data


def row(label: str, value: Any = None, *, when: Any = None) -> dict[str, Any]:
    """One line of a summary list: a label, a value in words and/or a date."""
    return {"label": label, "value": value, "when": when}


def _account_section(data: dict[str, Any]) -> dict[str, Any]:
    account = data["account"]
    return {
        "title": _("Votre compte"),
        "rows": [
            row(_("Adresse e-mail"), account["email"]),
            row(_("Nom affiché"), account["display_name"] or _("aucun")),
            row(_("Langue"), _("anglais") if account["language"] == "en" else _("français")),
            row(_("Compte créé le"), when=account["date_joined"]),
        ],
    }


def _verification_section(data: dict[str, Any]) -> dict[str, Any]:
    account, entry = data["account"], data["register_entry"]
    if entry is None:
        return {
            "title": _("Vérification de résidence"),
            "rows": [],
            "empty": _("Votre compte n'est pas encore vérifié."),
        }
    methods = dict(VerificationMethod.choices)
    kinds = dict(EntryKind.choices)
    return {
        "title": _("Vérification de résidence"),
        "rows": [
            row(_("Vérifié le"), when=account["verified_at"]),
            row(_("Comment"), methods.get(account["verification_method"], _("inconnu"))),
            row(_("Inscription"), kinds.get(entry["kind"], entry["kind"])),
            row(_("Nom"), entry["last_name"]),
            row(_("Prénoms"), entry["first_names"]),
            row(_("Date de naissance"), when=entry["birth_date"]),
            row(_("Adresse"), entry["address"] or _("non renseignée")),
            row(_("Quartier"), entry["district_name"]),
        ],
    }


def _notifications_section(data: dict[str, Any]) -> dict[str, Any]:
    items = data["notifications"]
    rows = [
        row(n["subject"], _("lu") if n["read_at"] else _("non lu"), when=n["created_at"])
        for n in items[:NOTIFICATIONS_SHOWN]
    ]
    more = len(items) - len(rows)
    if more > 0:
        rows.append(
            row(
                _("Et encore"),
                _("%(n)s messages plus anciens (dans le fichier JSON)") % {"n": more},
            )
        )
    return {"title": _("Vos messages"), "rows": rows, "empty": _("Aucun message.")}


def personal_data_sections(data: dict[str, Any]) -> list[dict[str, Any]]:
    sections = [_account_section(data), _verification_section(data)]
    for app in INSTRUMENTS:
        module = _app_module(app, "personal_data")
        describe = getattr(module, "personal_data_sections", None)
        if describe is not None and app in data:
            sections += describe(data=data[app])
    sections.append(_notifications_section(data))
    return sections
