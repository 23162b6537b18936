"""The campaign managers' and auditors' tasks on the staff home (civic.staff): the referendums'
calendar, the polling stations, the result sheets of closed paper votes still to count."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from civic.roles import Role, has_role
from civic.staff import StaffSection, StaffTask
from referendums.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    PollingStation,
    StationElectorate,
    StationResult,
    StationStatus,
    VotingMethod,
)
from referendums.rules import may_manage

SHEETS_SHOWN = 10


def _count_of(query: Any) -> Coalesce:
    counted = query.filter(campaign=OuterRef("pk")).values("campaign").annotate(n=Count("id"))
    return Coalesce(
        Subquery(counted.values("n"), output_field=IntegerField()),
        Value(0),
    )


def sheets_waiting() -> list[Any]:
    """Closed paper votes with, for each, its stations and those whose figures count (one query)."""
    return list(
        Campaign.objects.filter(voting_method=VotingMethod.PAPER, status=CampaignStatus.CLOSED)
        .only("id", "title_fr", "title_en")
        .annotate(
            stations=_count_of(StationElectorate.objects),
            counted=_count_of(
                StationResult.objects.filter(
                    status__in=[StationStatus.AGREED, StationStatus.RESOLVED]
                )
            ),
        )
        .order_by("voting_closes_at", "id")[:SHEETS_SHOWN]
    )


def staff_section(user: Any) -> StaffSection | None:
    if not has_role(user, Role.CAMPAIGN_MANAGER, Role.AUDITOR):
        return None
    manager = may_manage(user)
    tasks = []
    for campaign in sheets_waiting():
        tasks.append(
            StaffTask(
                _("Procès-verbaux à saisir : %(title)s") % {"title": campaign.title},
                reverse("referendums:staff-sheets", args=[campaign.pk]),
                count=max(campaign.stations - campaign.counted, 0),
                hint=_("Bureaux dont les chiffres ne comptent pas encore."),
            )
        )
    drafts = Campaign.objects.filter(
        kind=CampaignKind.BINDING_REFERENDUM, status=CampaignStatus.DRAFT
    ).count()
    tasks.append(
        StaffTask(
            _("Calendrier des référendums"),
            reverse("referendums:staff-calendars"),
            count=drafts if manager else None,
            hint=_("Référendums locaux en brouillon : dates à fixer avant de programmer."),
        )
    )
    stations = PollingStation.objects.count()
    tasks.append(
        StaffTask(
            _("Bureaux de vote"),
            reverse("referendums:staff-stations"),
            hint=ngettext("%(n)s bureau enregistré.", "%(n)s bureaux enregistrés.", stations)
            % {"n": stations},
        )
    )
    tasks.append(StaffTask(_("Toutes les campagnes"), reverse("referendums:list")))
    return StaffSection(_("Référendums et consultations"), tasks, order=30)
