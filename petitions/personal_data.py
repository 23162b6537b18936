"""The resident's petitions data in words, for the "Mes données" page (civic/personal_data.py):
the initiatives they carry and their signatures, from `selectors.personal_data_export`."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from civic.personal_data import row
from petitions.models import Channel, Status


def personal_data_sections(*, data: dict[str, Any]) -> list[dict[str, Any]]:
    statuses, channels = dict(Status.choices), dict(Channel.choices)
    carried = [
        row(
            i["title"],
            _("vous l'avez lancée · %(status)s") % {"status": statuses.get(i["status"])},
            when=i["created_at"],
        )
        for i in data["initiatives_started"]
    ] + [
        row(
            _("Initiative n° %(id)s") % {"id": p["initiative_id"]},
            _("co-porteur, cosignée") if p["cosigned_at"] else _("invité·e à la porter"),
            when=p["cosigned_at"] or p["invited_at"],
        )
        for p in data["promoter_of"]
    ]
    signatures = [
        row(s["initiative_title"], channels.get(s["channel"]), when=s["signed_at"])
        for s in data["signatures"]
    ]
    return [
        {
            "title": _("Les initiatives que vous portez ou suivez"),
            "rows": carried,
            "empty": _("Aucune initiative."),
        },
        {"title": _("Vos signatures"), "rows": signatures, "empty": _("Aucune signature.")},
    ]
