"""Helpers shared by the services: the manager check, the locked read, audit snapshots, and telling
the campaign's staff of each step."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.db import IntegrityError
from django.utils.translation import gettext as _

from civic.errors import Conflict, NotFound, PermissionDenied
from civic.events import publish
from civic.models import User
from civic.notifications import notify
from civic.roles import Role
from referendums import rules
from referendums.models import Campaign
from referendums.models.campaigns import SNAPSHOT_FIELDS


def require_manager(actor: User) -> None:
    if not rules.may_manage(actor):
        raise PermissionDenied(_("Action réservée aux responsables de campagne."))


# The name the database's triggers give a write to a frozen vote (migration 0003).
FROZEN_CONSTRAINT = "referendum_vote_frozen"


def frozen_violation(exc: IntegrityError) -> Conflict | None:
    """The domain error for the database's refusal to change a frozen vote, or None when the
    integrity error is another one."""
    diag = getattr(exc.__cause__, "diag", None)
    if getattr(diag, "constraint_name", None) != FROZEN_CONSTRAINT:
        return None
    return Conflict(
        _("Questions, réponses, périmètre et corps électoral sont figés une fois programmé."),
        code="vote_frozen",
    )


def campaign_locked(campaign_id: int) -> Campaign:
    """The campaign row, locked for the rest of the transaction (a person's action)."""
    campaign = Campaign.objects.select_for_update(of=("self",)).filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound(_("Campagne introuvable."))
    return campaign


def campaign_snapshot(campaign: Campaign) -> dict[str, Any]:
    return {name: getattr(campaign, name) for name in SNAPSHOT_FIELDS}


def notify_campaign_staff(campaign: Campaign, *, kind: str, subject: str, body: str) -> None:
    """The campaign's author and every campaign manager hear of each step."""
    recipients: dict[int, User] = {}
    group = Group.objects.filter(name=Role.CAMPAIGN_MANAGER).first()
    if group is not None:
        for user in User.objects.filter(groups=group, is_active=True):
            recipients[user.pk] = user
    if campaign.created_by_id and campaign.created_by_id not in recipients:
        author = User.objects.filter(pk=campaign.created_by_id, is_active=True).first()
        if author is not None:
            recipients[author.pk] = author
    url = f"/referendums/{campaign.pk}/"
    for user in recipients.values():
        notify(recipient=user, kind=kind, subject=subject, body=body, url=url)


def announce_status(campaign: Campaign) -> None:
    """Tell the staff the campaign reached its (new) status, whoever moved it; the residents who
    follow it hear of it through the event (referendums/events.py)."""
    publish("referendums.status_changed", campaign_id=campaign.pk, status=campaign.status)
    facts = {"title": campaign.title_fr, "status": campaign.get_status_display()}
    notify_campaign_staff(
        campaign,
        kind=f"referendum.{campaign.status}",
        subject=_("Référendum « %(title)s » : %(status)s") % facts,
        body=_("La campagne « %(title)s » est passée au statut « %(status)s ».") % facts,
    )
