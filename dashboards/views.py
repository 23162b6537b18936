"""The public dashboard page, the open-data downloads and the staff-only audited export."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format
from django.views.decorators.http import require_GET

from civic import opendata
from civic.audit import audit_record
from civic.http_cache import public_page
from civic.roles import Role, has_role
from dashboards.charts import bar_chart, line_chart
from dashboards.models import DocumentKind, StatsDocument
from dashboards.opendata import DATASETS
from petitions.selectors.dashboards import (
    dashboard_published_initiative,
    dashboard_signatory_rows,
    dashboard_status_labels,
)
from referendums.selectors import dashboard_campaign_status_labels

SHOWN_INITIATIVES = 12


def _day(value: str) -> str:
    day = parse_date(value)
    return date_format(day, "SHORT_DATE_FORMAT") if day else value


def _initiative_panel(summary: dict[str, Any], series: dict[str, Any] | None) -> dict[str, Any]:
    total_series = (series or {}).get("tracks", [{}])[0] if series else {}
    daily = total_series.get("daily", []) if total_series else []
    thresholds = sorted({r["threshold"] for t in summary["tracks"] for r in t["rungs"]})
    rungs = [
        {**r, "instrument": t["name"], "reached_at": parse_datetime(r["reached_at"] or "")}
        for t in summary["tracks"]
        for r in t["rungs"]
    ]
    return {
        "summary": summary,
        "head": summary["initiative"],
        "daily": [{**d, "label": _day(d["date"])} for d in daily],
        "curve": line_chart(
            [(_day(d["date"]), d["cumulative"]) for d in daily], thresholds=thresholds
        ),
        "rungs": rungs,
        "districts_id": f"districts-{summary['initiative']['id']}",
        "districts": bar_chart([(d["name"], d["count"]) for d in summary["districts"]]),
    }


@public_page
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Three reads of maintained documents, whatever the number of signatures."""
    city_doc = StatsDocument.objects.filter(kind=DocumentKind.CITY, object_id=0).first()
    city = city_doc.body if city_doc else None
    summaries = list(
        StatsDocument.objects.filter(
            kind=DocumentKind.INITIATIVE, body__initiative__status="collecting"
        ).order_by("-object_id")[:SHOWN_INITIATIVES]
    )
    series = {
        d.object_id: d.body
        for d in StatsDocument.objects.filter(
            kind=DocumentKind.SERIES, object_id__in=[s.object_id for s in summaries]
        )
    }
    panels = [_initiative_panel(s.body, series.get(s.object_id)) for s in summaries]
    context: dict[str, Any] = {"city": city, "panels": panels, "datasets": DATASETS.values()}
    if city:
        labels = dashboard_status_labels()
        statuses = [(str(labels.get(k, k)), v) for k, v in city["initiatives_by_status"].items()]
        days = city["signatures_per_day"][-30:]
        context.update(
            statuses=statuses,
            status_chart=bar_chart(statuses),
            days=[{**d, "label": _day(d["date"])} for d in days],
            referendum_rows=_referendum_rows(city["referendums"]),
            days_chart=bar_chart([(_day(d["date"]), d["count"]) for d in days]),
            turnout_chart=bar_chart(
                [
                    (r["title"], float(r["turnout"]["turnout_percent"] or 0))
                    for r in city["referendums"]
                    if r.get("turnout")
                ],
                unit="%",
            ),
        )
    return render(request, "dashboards/dashboard.html", context)


def _referendum_rows(referendums: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The turnout table's rows with the status in words, never its key."""
    labels = dashboard_campaign_status_labels()
    return [{**r, "status": labels.get(r["status"], r["status"])} for r in referendums]


@require_GET
def dataset_export(
    request: HttpRequest, name: str, fmt: str
) -> HttpResponse | StreamingHttpResponse:
    dataset = DATASETS.get(name)
    if dataset is None or fmt not in ("csv", "json"):
        raise Http404
    stamp = timezone.localdate().isoformat()
    if fmt == "csv":
        return opendata.csv_response(
            filename=f"{name}-{stamp}.csv", fields=list(dataset.fields), rows=dataset.rows()
        )
    response = opendata.json_response(
        filename=f"{name}-{stamp}.json", schema=dataset.schema(), rows=dataset.rows()
    )
    response["X-Licence"] = opendata.LICENCE
    return response


@require_GET
def dataset_index(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboards/opendata.html", {"datasets": DATASETS.values()})


SIGNATORY_FIELDS = [
    "signature_id",
    "signed_at",
    "channel",
    "register_ref",
    "last_name",
    "first_names",
    "birth_date",
    "district",
    "tracks_mask",
]


@login_required
@require_GET
def signatories_export(request: HttpRequest, initiative_id: int) -> StreamingHttpResponse:
    """Personal data for the admissibility check: moderators only, and every export is audited."""
    if not has_role(request.user, Role.MODERATOR, Role.ADMINISTRATOR):
        raise Http404  # staff pages do not reveal themselves to others
    initiative = dashboard_published_initiative(initiative_id)
    if initiative is None:
        raise Http404
    with transaction.atomic():
        audit_record(
            actor=request.user,  # type: ignore[arg-type]
            verb="initiative.signatories_exported",
            target=initiative,
            after={"purpose": "admissibility_check"},
        )

    response = opendata.csv_response(
        filename=f"signataires-{initiative_id}.csv",
        fields=SIGNATORY_FIELDS,
        rows=dashboard_signatory_rows(initiative_id),
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
