"""Referendum campaigns can be followed (civic.follows) once public; followers hear when the
vote opens, when it closes and when the results are published."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from civic.events import Event, subscriber
from civic.follows import FollowTarget, broadcast, register
from referendums import workflow
from referendums.models import Campaign

KIND = "referendums.campaign"


def _describe(campaign_id: int) -> tuple[str, str] | None:
    campaign = Campaign.objects.filter(pk=campaign_id, status__in=workflow.PUBLIC).first()
    if campaign is None:
        return None
    return campaign.title, reverse("referendums:detail", args=[campaign.pk])


register(KIND, FollowTarget(label=_("Vote"), describe=_describe))

STATUS_MESSAGES = {
    "voting": (
        gettext_noop("Le vote « %(title)s » est ouvert"),
        gettext_noop("Le vote « %(title)s » est ouvert : sa page dit qui peut voter et comment."),
    ),
    "closed": (
        gettext_noop("Le vote « %(title)s » est clos"),
        gettext_noop("Le vote « %(title)s » est clos. Les résultats seront publiés sur sa page."),
    ),
}


@subscriber("referendums.status_changed")
def tell_followers_vote_opened_or_closed(event: Event) -> None:
    message = STATUS_MESSAGES.get(str(event.payload["status"]))
    if message is None or _describe(int(event.payload["campaign_id"])) is None:
        return
    broadcast(
        kind=KIND,
        target_id=int(event.payload["campaign_id"]),
        notification_kind=f"follow.vote_{event.payload['status']}",
        subject=message[0],
        body=message[1],
        params={},
    )


@subscriber("referendums.results_published")
def tell_followers_results(event: Event) -> None:
    broadcast(
        kind=KIND,
        target_id=int(event.payload["campaign_id"]),
        notification_kind="follow.results_published",
        subject=gettext_noop("Résultats : « %(title)s »"),
        body=gettext_noop("Les résultats du vote « %(title)s » sont publiés."),
        params={},
    )
