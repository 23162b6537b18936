"""The resident's assembly data in words, for the "Mes données" page (civic/personal_data.py)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from assembly.models import InvitationStatus
from civic.personal_data import row


def personal_data_sections(*, data: dict[str, Any]) -> list[dict[str, Any]]:
    statuses = dict(InvitationStatus.choices)
    rows = [
        row(
            i["mandate"],
            _("invitation %(status)s") % {"status": str(statuses.get(i["status"], "")).lower()},
            when=i["created_at"],
        )
        for i in data["invitations"]
    ] + [
        row(
            v["mandate"],
            _("membre tiré·e au sort") if v.get("member") else _("volontaire pour le tirage"),
            when=v["consent_at"],
        )
        for v in data["volunteering"]
    ]
    return [{"title": _("Assemblée citoyenne"), "rows": rows, "empty": _("Aucune invitation.")}]
