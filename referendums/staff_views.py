"""The campaign managers' pages outside the admin: each binding referendum's calendar, and the
polling stations. Auditors read them; every change goes through a service that checks and audits."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from civic.errors import DomainError
from civic.roles import Role, has_role
from referendums import workflow
from referendums.forms import calendar_refusals
from referendums.models import Campaign, CampaignKind, CampaignStatus, PollingStation
from referendums.rules import may_manage
from referendums.services.campaigns import campaign_update
from referendums.services.stations import (
    polling_station_create,
    polling_station_update,
    stations_frozen_by,
)
from referendums.staff_forms import CalendarForm, StationForm

# Shown on the calendar page: the referendums whose calendar is still being set or is running.
CALENDAR_STATUSES = (
    CampaignStatus.DRAFT,
    CampaignStatus.SCHEDULED,
    CampaignStatus.CAMPAIGN,
    CampaignStatus.VOTING,
    CampaignStatus.CLOSED,
)
LIST_LIMIT = 200


def _require_reader(request: HttpRequest) -> None:
    if not has_role(request.user, Role.CAMPAIGN_MANAGER, Role.AUDITOR):
        raise PermissionDenied


def _require_manager(request: HttpRequest) -> None:
    if not may_manage(request.user):
        raise PermissionDenied


def binding_referendums() -> list[Campaign]:
    return list(
        Campaign.objects.filter(kind=CampaignKind.BINDING_REFERENDUM, status__in=CALENDAR_STATUSES)
        .defer("results", "dossier_fr", "dossier_en", "electorate_districts")
        .order_by("voting_opens_at", "id")[:LIST_LIMIT]
    )


@login_required
def staff_calendars(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    rows = [
        {"campaign": c, "editable": c.status in workflow.EDITABLE} for c in binding_referendums()
    ]
    return render(
        request,
        "referendums/staff_calendars.html",
        {"rows": rows, "may_manage": may_manage(request.user)},
    )


def _calendar_initial(campaign: Campaign) -> dict[str, Any]:
    return {name: getattr(campaign, name) for name in CalendarForm.base_fields}


@login_required
@require_http_methods(["GET", "POST"])
def staff_calendar_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    campaign = (
        Campaign.objects.filter(pk=pk, kind=CampaignKind.BINDING_REFERENDUM)
        .defer("results")
        .first()
    )
    if campaign is None:
        raise Http404
    editable = campaign.status in workflow.EDITABLE
    form = CalendarForm(request.POST or None, initial=_calendar_initial(campaign))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                campaign_update(
                    campaign_id=pk,
                    actor=request.user,  # type: ignore[arg-type]
                    **form.cleaned_data,
                )
            except DomainError as exc:
                form.add_error(None, str(exc.detail))
                status = exc.status
            else:
                messages.success(request, _("Calendrier enregistré."))
                return redirect("referendums:staff-calendars")
        else:
            status = 400
    return render(
        request,
        "referendums/staff_calendar_edit.html",
        {
            "campaign": campaign,
            "form": form,
            "editable": editable,
            "refusals": calendar_refusals(campaign),
        },
        status=status,
    )


@login_required
def staff_stations(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    stations = PollingStation.objects.select_related("district").order_by("code")[:LIST_LIMIT]
    return render(
        request,
        "referendums/staff_stations.html",
        {
            "stations": stations,
            "frozen_by": stations_frozen_by(),
            "may_manage": may_manage(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def staff_station_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Add a station (no pk) or edit one."""
    _require_manager(request)
    station = None
    if pk is not None:
        station = PollingStation.objects.filter(pk=pk).first()
        if station is None:
            raise Http404
    data = request.POST or None
    form = StationForm(data) if station is None else StationForm.for_station(station, data)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                if station is None:
                    polling_station_create(actor=request.user, **form.service_fields())  # type: ignore[arg-type]
                else:
                    polling_station_update(
                        station_id=station.pk,
                        actor=request.user,  # type: ignore[arg-type]
                        **form.service_fields(),
                    )
            except DomainError as exc:
                form.add_error(None, str(exc.detail))
                status = exc.status
            else:
                messages.success(request, _("Bureau de vote enregistré."))
                return redirect("referendums:staff-stations")
        else:
            status = 400
    return render(
        request,
        "referendums/staff_station_edit.html",
        {"station": station, "form": form, "frozen_by": stations_frozen_by()},
        status=status,
    )
