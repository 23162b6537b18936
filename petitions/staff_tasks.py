"""The moderators' tasks on the staff home (civic.staff): initiatives to review, collections open
to paper entry, moderation (initiatives and collections suspended), the city's overdue
obligations."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from civic.staff import StaffSection, StaffTask
from petitions import selectors
from petitions.models import Initiative, Moderation, Status
from petitions.rules import is_moderator


def staff_section(user: Any) -> StaffSection | None:
    if not is_moderator(user):
        return None
    queue = reverse("petitions:staff-queue")
    to_review = Initiative.objects.filter(status__in=[Status.SUBMITTED, Status.IN_REVIEW]).count()
    collecting = Initiative.objects.filter(status=Status.COLLECTING).count()
    overdue = selectors.obligations_public(overdue=True).count()
    moderated = Initiative.objects.filter(
        Q(collection_paused_at__isnull=False) | ~Q(moderation=Moderation.PUBLIC)
    ).count()
    return StaffSection(
        _("Initiatives"),
        [
            StaffTask(_("Initiatives à examiner"), f"{queue}#h-review", count=to_review),
            StaffTask(
                _("Collectes en cours : saisie des signatures papier"),
                f"{queue}#h-paper",
                count=collecting,
            ),
            StaffTask(
                _("Modération : initiatives et collectes suspendues, prolongations"),
                reverse("petitions:staff-moderation"),
                count=moderated,
            ),
            StaffTask(
                _("Engagements de la ville en retard"),
                reverse("petitions:obligations") + "?overdue=on",
                count=overdue,
            ),
        ],
        order=20,
    )
