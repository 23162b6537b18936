"""The transitions a person requests (schedule, cancel, publish the results, archive): each checks
the transition table of `referendums.workflow`, locks the campaign, writes, audits and tells."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.audit import audit_record
from civic.errors import Conflict, InvalidTransition, NotFound, RuleViolation
from civic.events import publish
from civic.models import User, WebhookEvent
from civic.webhooks import webhook_emit
from referendums import store, workflow
from referendums.models import Campaign, CampaignDistrict, CampaignKind, CampaignStatus
from referendums.services.campaigns.editing import raise_calendar_violations
from referendums.services.common import (
    announce_status,
    campaign_locked,
    campaign_snapshot,
    require_manager,
)
from referendums.services.paper import paper_results
from referendums.services.voting import ballots_discard

S = CampaignStatus
RESULTS_PUBLISHED_EVENT = "referendums.results_published"


def _refuse_unless_allowed(campaign: Campaign, target: str, message: str | None = None) -> None:
    if not workflow.can_transition(campaign.status, target):
        raise InvalidTransition(
            message
            or _("Transition impossible de « %(from)s » vers « %(to)s ».")
            % {"from": campaign.get_status_display(), "to": target}
        )


def _transition(campaign: Campaign, target: str, actor: User | None, **stamps: datetime) -> None:
    _refuse_unless_allowed(campaign, target)
    before = campaign_snapshot(campaign)
    campaign.status = target
    for name, value in stamps.items():
        setattr(campaign, name, value)
    campaign.save(update_fields=["status", *stamps])
    audit_record(
        actor=actor,
        verb=f"referendum.{target}",
        target=campaign,
        before=before,
        after=campaign_snapshot(campaign),
    )
    announce_status(campaign)


def _check_ready_to_schedule(campaign: Campaign) -> None:
    if campaign.voting_opens_at <= timezone.now():
        raise RuleViolation(
            _("La date d'ouverture du vote est déjà passée."), code="calendar_in_past"
        )
    if campaign.kind == CampaignKind.BINDING_REFERENDUM:
        raise_calendar_violations(campaign)
    if not campaign.whole_city and not CampaignDistrict.objects.filter(campaign=campaign).exists():
        raise RuleViolation(_("Choisissez au moins un quartier."), code="empty_scope")


def campaign_schedule(*, campaign_id: int, actor: User) -> Campaign:
    require_manager(actor)
    with transaction.atomic():
        campaign = campaign_locked(campaign_id)
        if campaign.status == S.DRAFT:
            _check_ready_to_schedule(campaign)
        _transition(campaign, S.SCHEDULED, actor, scheduled_at=timezone.now())
    return campaign


def campaign_cancel(*, campaign_id: int, actor: User) -> Campaign:
    """Cancelling an open vote discards its ballots unseen: nothing is ever counted."""
    require_manager(actor)
    with transaction.atomic():
        store.campaign_lock(campaign_id, shared=False)  # waits for casts in flight
        campaign = campaign_locked(campaign_id)
        was_voting = campaign.status == S.VOTING
        _transition(campaign, S.CANCELLED, actor, cancelled_at=timezone.now())
        if was_voting and campaign.is_online:
            ballots_discard(campaign=campaign)
    return campaign


def campaign_archive(*, campaign_id: int, actor: User) -> Campaign:
    require_manager(actor)
    with transaction.atomic():
        campaign = campaign_locked(campaign_id)
        _transition(campaign, S.ARCHIVED, actor, archived_at=timezone.now())
    return campaign


def _final_results(campaign: Campaign, now: datetime) -> None:
    """Online: the tally made at the close. Paper: the verdict from the counted station sheets
    (every station of the scope must count), with its challenge deadline."""
    if not campaign.is_online:
        campaign.results = paper_results(campaign=campaign)
    if campaign.results is None:
        raise Conflict(_("Le dépouillement n'est pas terminé."), code="tally_missing")
    if not campaign.is_online:
        campaign.results["challenge_deadline"] = (
            timezone.localtime(now).date() + timedelta(days=campaign.challenge_days)
        ).isoformat()
        campaign.save(update_fields=["results"])


def _announce_results(campaign: Campaign, now: datetime) -> None:
    """The webhook for outside subscribers; the domain event for the other instruments (the
    citizens' assembly puts the result on its agenda for follow-up)."""
    url = reverse("referendums:results", args=[campaign.pk])
    webhook_emit(
        event=WebhookEvent.REFERENDUM_RESULTS,
        payload={
            "campaign_id": campaign.pk,
            "title": campaign.title_fr,
            "published_at": now,
            "results_url": settings.SITE_URL + url,
        },
    )
    publish(RESULTS_PUBLISHED_EVENT, campaign_id=campaign.pk, title=campaign.title_fr, url=url)


def campaign_publish_results(*, campaign_id: int, actor: User) -> Campaign:
    """Closed -> results published, announced in the same transaction."""
    require_manager(actor)
    with transaction.atomic():
        campaign = campaign_locked(campaign_id)
        _refuse_unless_allowed(
            campaign, S.RESULTS_PUBLISHED, _("Seul un vote clos peut être publié.")
        )
        now = timezone.now()
        _final_results(campaign, now)
        _transition(campaign, S.RESULTS_PUBLISHED, actor, published_at=now)
        _announce_results(campaign, now)
    return campaign


# One service per target status of `workflow.ACTIONS` (the API's and the admin's action names).
_SERVICES: dict[str, Callable[..., Campaign]] = {
    S.SCHEDULED: campaign_schedule,
    S.CANCELLED: campaign_cancel,
    S.ARCHIVED: campaign_archive,
    S.RESULTS_PUBLISHED: campaign_publish_results,
}


def campaign_transition(*, campaign_id: int, actor: User, action: str) -> Campaign:
    target = workflow.ACTIONS.get(action)
    if target is None:
        raise NotFound(_("Action inconnue."))
    return _SERVICES[target](campaign_id=campaign_id, actor=actor)
