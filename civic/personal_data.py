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

from django.conf import settings
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from civic.models import (
    DeskCloseReason,
    DeskReason,
    DeskRequest,
    DeskRequestOutcome,
    EntryKind,
    Notification,
    OidcBindMethod,
    OidcIdentity,
    RegisterEntry,
    User,
    VerificationMethod,
)

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
        "identity_providers": _identity_providers(user),
        "desk_requests": [
            {
                "created_at": d.created_at,
                "reason": d.reason,
                "status": d.outcome or "open",
                "closed_at": d.closed_at,
                "close_reason": d.close_reason,
                "close_note": d.close_note,
            }
            for d in DeskRequest.objects.filter(user=user).order_by("-created_at", "-id")
        ],
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


def _provider_name(issuer: str) -> str:
    names = {
        settings.OIDC_ISSUER: settings.OIDC_PROVIDER_NAME,
        settings.STAFF_OIDC_ISSUER: settings.STAFF_OIDC_PROVIDER_NAME,
    }
    return str(names.get(issuer) or issuer)


def _identity_providers(user: User) -> list[dict[str, Any]]:
    """The bonds to identity providers: which provider, when and how; never a token (none is
    kept) and never the provider's identifier of the person, which means nothing to them."""
    return [
        {
            "provider": _provider_name(bond.issuer),
            "issuer": bond.issuer,
            "bound_at": bond.bound_at or bond.created_at,
            "method": bond.method,
            "waiting_first_login": not bond.subject,
            "last_login_at": bond.last_login_at,
        }
        for bond in OidcIdentity.objects.filter(user=user).order_by("created_at", "id")
    ]


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


def _providers_section(data: dict[str, Any]) -> dict[str, Any]:
    methods = dict(OidcBindMethod.choices)
    rows = []
    for bond in data["identity_providers"]:
        how = methods.get(bond["method"], bond["method"])
        if bond["waiting_first_login"]:
            how = _("%(how)s (en attente de la première connexion)") % {"how": how}
        rows.append(row(bond["provider"], how, when=bond["bound_at"]))
    return {
        "title": _("Fournisseurs d'identité"),
        "note": _(
            "Nous gardons seulement l'identifiant que le fournisseur vous attribue, jamais vos "
            "jetons de connexion."
        ),
        "rows": rows,
        "empty": _("Aucun fournisseur d'identité n'est rattaché à votre compte."),
    }


def _desk_section(data: dict[str, Any]) -> dict[str, Any]:
    reasons, closings = dict(DeskReason.choices), dict(DeskCloseReason.choices)
    outcomes = dict(DeskRequestOutcome.choices)
    rows = []
    for item in data["desk_requests"]:
        day = date_format(localtime(item["created_at"]), "SHORT_DATE_FORMAT")
        label = _("Demande du %(date)s") % {"date": day}
        if item["status"] == "open":
            value = _("en attente — %(reason)s") % {"reason": reasons.get(item["reason"], "")}
        else:
            value = str(outcomes.get(item["status"], item["status"]))
            if item["close_reason"]:
                value += " — " + str(closings.get(item["close_reason"], item["close_reason"]))
            if item["close_note"]:
                value += " — " + _("note : %(note)s") % {"note": item["close_note"]}
        rows.append(row(label, value, when=item["closed_at"]))
    return {
        "title": _("Demandes au guichet"),
        "rows": rows,
        "empty": _("Aucune demande au guichet."),
    }


def personal_data_sections(data: dict[str, Any]) -> list[dict[str, Any]]:
    sections = [
        _account_section(data),
        _verification_section(data),
        _providers_section(data),
        _desk_section(data),
    ]
    for app in INSTRUMENTS:
        module = _app_module(app, "personal_data")
        describe = getattr(module, "personal_data_sections", None)
        if describe is not None and app in data:
            sections += describe(data=data[app])
    sections.append(_notifications_section(data))
    return sections
