"""The assembly clerk's tasks on the staff home (civic.staff): for each mandate in progress, the
sessions whose agenda is still to publish and the recommendations to refer or to follow up."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from assembly.models import Mandate, MandateStatus, RecommendationStatus, SessionStatus
from civic.roles import Role, has_role
from civic.staff import StaffSection, StaffTask

# The staff home lists this many mandates in progress; the others are on the assembly's page.
MANDATES_SHOWN = 10


def staff_section(user: Any) -> StaffSection | None:
    if not has_role(user, Role.ASSEMBLY_CLERK):
        return None
    mandates = (
        Mandate.objects.exclude(status=MandateStatus.CLOSED)
        .annotate(
            planned=Count(
                "sessions", filter=Q(sessions__status=SessionStatus.PLANNED), distinct=True
            ),
            to_follow=Count(
                "recommendations",
                filter=Q(
                    recommendations__status__in=[
                        RecommendationStatus.ADOPTED,
                        RecommendationStatus.REFERRED,
                    ]
                ),
                distinct=True,
            ),
        )
        .order_by("starts_on", "id")[:MANDATES_SHOWN]
    )
    tasks = []
    for mandate in mandates:
        url = reverse("assembly:clerk-mandate", args=[mandate.pk])
        tasks.append(
            StaffTask(
                _("Séances à préparer : %(mandate)s") % {"mandate": mandate.title},
                f"{url}#h-sessions",
                count=mandate.planned,
                hint=_("Séances prévues dont l'ordre du jour n'est pas publié."),
            )
        )
        tasks.append(
            StaffTask(
                _("Recommandations à transmettre ou à suivre : %(mandate)s")
                % {"mandate": mandate.title},
                f"{url}#h-recommendations",
                count=mandate.to_follow,
                hint=_("Adoptées à transmettre au conseil, ou transmises en attente de réponse."),
            )
        )
    tasks.append(StaffTask(_("Tous les mandats de l'assemblée"), reverse("assembly:index")))
    return StaffSection(_("Assemblée citoyenne : greffe"), tasks, order=40)
