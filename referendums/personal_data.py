"""The resident's votes in words, for the "Mes données" page (civic/personal_data.py): only that
they voted, and when once the vote is closed; never how (nothing links a ballot to a person)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from civic.personal_data import row


def personal_data_sections(*, data: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [
        row(
            p["title"],
            _("vous avez voté")
            if p["voted_at"]
            else _("vous avez voté (la date est cachée tant que le vote est ouvert)"),
            when=p["voted_at"],
        )
        for p in data["participations"]
    ]
    return [
        {
            "title": _("Vos votes"),
            "rows": rows,
            "empty": _("Vous n'avez pas voté en ligne."),
            "note": _("Le contenu de votre vote n'est relié à votre identité nulle part."),
        }
    ]
