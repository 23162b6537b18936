"""The referendums' part of the public feeds (civic.feeds): each vote's opening hours for the
calendar, published results for the news."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from civic.feeds import FEED_LIMIT, CalendarEntry, NewsItem
from referendums import workflow
from referendums.models import Campaign, CampaignStatus


def calendar_entries() -> list[CalendarEntry]:
    """The voting window of every public campaign, latest first. A cancelled vote stays in the
    calendar, marked cancelled, so that a subscribed calendar drops it instead of keeping it."""
    campaigns = (
        Campaign.objects.filter(status__in=workflow.PUBLIC)
        .only(
            "id",
            "status",
            "title_fr",
            "title_en",
            "voting_opens_at",
            "voting_closes_at",
            "cancelled_at",
            "scheduled_at",
            "created_at",
        )
        .order_by("-voting_opens_at", "-id")[:FEED_LIMIT]
    )
    return [
        CalendarEntry(
            uid=f"referendum-{campaign.pk}-vote",
            summary=_("Vote : %(title)s") % {"title": campaign.tr("title")},
            starts_at=campaign.voting_opens_at,
            ends_at=campaign.voting_closes_at,
            path=reverse("referendums:detail", args=[campaign.pk]),
            revised_at=campaign.cancelled_at or campaign.scheduled_at or campaign.created_at,
            cancelled=campaign.status == CampaignStatus.CANCELLED,
        )
        for campaign in campaigns
    ]


def news_items() -> list[NewsItem]:
    """Each campaign whose results are published, newest first."""
    campaigns = (
        Campaign.objects.filter(status__in=workflow.RESULTS_VISIBLE, published_at__isnull=False)
        .only("id", "title_fr", "title_en", "summary_fr", "summary_en", "published_at")
        .order_by("-published_at", "-id")[:FEED_LIMIT]
    )
    return [
        NewsItem(
            uid=f"referendum-{campaign.pk}-results",
            title=_("Résultats : %(title)s") % {"title": campaign.tr("title")},
            summary=campaign.tr("summary"),
            published_at=campaign.published_at,
            path=reverse("referendums:results", args=[campaign.pk]),
        )
        for campaign in campaigns
        if campaign.published_at is not None
    ]
