"""What the staff exports read of the initiatives: counts only (no name, no register reference),
grouped by district, printed batch or sheet. Read by the dashboards' staff exports."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from django.db.models import Count
from django.utils.timezone import localdate

from civic.models import District
from petitions.models import (
    Initiative,
    PaperBatch,
    PaperBatchSignature,
    PaperRejection,
    Signature,
)
from petitions.models.paper import LINES_PER_SHEET


def export_initiative(initiative_id: int) -> Initiative | None:
    """An initiative past its draft (the only ones with signatures or printed batches)."""
    return Initiative.objects.filter(pk=initiative_id, submitted_at__isnull=False).first()


def export_signatures_by_district(initiative_id: int) -> list[dict[str, Any]]:
    """Every district (zero included), with its signatures, online and on paper together."""
    counted = {
        row["district_id"]: row
        for row in Signature.objects.filter(initiative_id=initiative_id)
        .values("district_id")
        .annotate(n=Count("id"))
        .order_by()
    }
    return [
        {
            "district": district.code,
            "district_name": district.name,
            "signatures": counted.get(district.pk, {"n": 0})["n"],
        }
        for district in District.objects.order_by("code")
    ]


def export_paper_batches(initiative_id: int) -> list[dict[str, Any]]:
    """Each printed batch: its code, print date, sheets, lines accepted and rejected."""
    batches = (
        PaperBatch.objects.filter(initiative_id=initiative_id)
        .annotate(
            accepted=Count("signatures", distinct=True),
            rejected=Count("rejections", distinct=True),
        )
        .order_by("issued_at", "id")
    )
    return [
        {
            "batch": b.code,
            "issued_on": _day(b.issued_at),
            "sheets": b.sheets,
            "lines": b.sheets * LINES_PER_SHEET,
            "accepted": b.accepted,
            "rejected": b.rejected,
        }
        for b in batches
    ]


def export_paper_sheets(initiative_id: int) -> list[dict[str, Any]]:
    """Each sheet entered (batch and the sheet's own reference, as keyed), with its lines
    accepted and rejected; lines entered without a batch are grouped under an empty batch."""
    accepted = Counter(
        {
            (r["batch__code"], r["sheet_ref"]): r["n"]
            for r in PaperBatchSignature.objects.filter(batch__initiative_id=initiative_id)
            .values("batch__code", "sheet_ref")
            .annotate(n=Count("signature_id"))
            .order_by()
        }
    )
    rejected = Counter(
        {
            (r["batch__code"] or "", r["sheet_ref"]): r["n"]
            for r in PaperRejection.objects.filter(initiative_id=initiative_id)
            .values("batch__code", "sheet_ref")
            .annotate(n=Count("id"))
            .order_by()
        }
    )
    return [
        {
            "batch": batch,
            "sheet": sheet,
            "accepted": accepted[(batch, sheet)],
            "rejected": rejected[(batch, sheet)],
        }
        for batch, sheet in sorted(set(accepted) | set(rejected))
    ]


def _day(moment: datetime) -> str:
    return localdate(moment).isoformat()
