"""The assembly's part of the public feeds (civic.feeds): its sessions for the calendar, published
minutes for the news."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from assembly.models import Minutes, MinutesStatus, Session, SessionStatus
from civic.feeds import FEED_LIMIT, CalendarEntry, NewsItem


def calendar_entries() -> list[CalendarEntry]:
    """Every session whose agenda is public (a planned session is not yet announced), latest first,
    for the time the session has; a cancelled one stays, marked cancelled."""
    sessions = (
        Session.objects.exclude(status=SessionStatus.PLANNED)
        .only(
            "id", "title", "starts_at", "place", "capacity_minutes", "status", "agenda_published_at"
        )
        .order_by("-starts_at", "-id")[:FEED_LIMIT]
    )
    return [
        CalendarEntry(
            uid=f"assembly-session-{session.pk}",
            summary=_("Assemblée citoyenne : %(title)s") % {"title": session.title},
            starts_at=session.starts_at,
            ends_at=session.starts_at + timedelta(minutes=session.capacity_minutes),
            path=reverse("assembly:session", args=[session.pk]),
            revised_at=session.agenda_published_at or session.starts_at,
            location=session.place,
            cancelled=session.status == SessionStatus.CANCELLED,
        )
        for session in sessions
    ]


def news_items() -> list[NewsItem]:
    """Each session's published minutes, newest first."""
    minutes = (
        Minutes.objects.filter(status=MinutesStatus.PUBLISHED, published_at__isnull=False)
        .select_related("session")
        .only("id", "published_at", "session__id", "session__title", "session__starts_at")
        .order_by("-published_at", "-id")[:FEED_LIMIT]
    )
    return [
        NewsItem(
            uid=f"assembly-minutes-{item.pk}",
            title=_("Procès-verbal : %(title)s") % {"title": item.session.title},
            summary=_("Le procès-verbal de la séance du %(date)s est publié.")
            % {"date": date_format(timezone.localtime(item.session.starts_at), "DATE_FORMAT")},
            published_at=item.published_at,
            path=reverse("assembly:session", args=[item.session.pk]),
        )
        for item in minutes
        if item.published_at is not None
    ]
