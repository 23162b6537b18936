"""The initiatives' part of the public feeds (civic.feeds): collection deadlines for the calendar,
newly opened collections for the news."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from civic.feeds import FEED_LIMIT, CalendarEntry, NewsItem
from petitions.models import Initiative, Status
from petitions.rules import listed_q


def calendar_entries() -> list[CalendarEntry]:
    """The end of each collection that is open or ended, latest first: the moment after which no
    signature counts."""
    rows = (
        Initiative.objects.filter(
            published_at__isnull=False,
            closes_at__isnull=False,
            status__in=(Status.COLLECTING, Status.CLOSED),
        )
        .filter(listed_q())
        .only("id", "title", "summary", "closes_at", "updated_at")
        .order_by("-closes_at", "-id")[:FEED_LIMIT]
    )
    return [
        CalendarEntry(
            uid=f"initiative-{row.pk}-closes",
            summary=_("Fin de la collecte : %(title)s") % {"title": row.title},
            starts_at=row.closes_at,
            ends_at=None,
            path=reverse("petitions:detail", args=[row.pk]),
            revised_at=row.updated_at,
            description=row.summary,
        )
        for row in rows
        if row.closes_at is not None  # filtered above; says so to the type checker
    ]


def news_items() -> list[NewsItem]:
    """Each initiative whose collection has opened, newest first (a rejected or withdrawn one
    leaves the feed: its page says why)."""
    rows = (
        Initiative.objects.filter(
            published_at__isnull=False, status__in=(Status.COLLECTING, Status.CLOSED)
        )
        .filter(listed_q())
        .only("id", "title", "summary", "published_at")
        .order_by("-published_at", "-id")[:FEED_LIMIT]
    )
    return [
        NewsItem(
            uid=f"initiative-{row.pk}",
            title=_("Nouvelle initiative : %(title)s") % {"title": row.title},
            summary=row.summary,
            published_at=row.published_at,
            path=reverse("petitions:detail", args=[row.pk]),
        )
        for row in rows
        if row.published_at is not None
    ]
