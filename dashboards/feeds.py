"""Public feeds that residents subscribe to: one calendar (iCalendar, RFC 5545) of every vote,
assembly session and collection deadline, and one Atom feed (RFC 4287) of new initiatives,
published results and minutes.

Both are public pages (civic.http_cache): the same bytes for every reader of one language, with a
strong ETag, so a calendar application polling every few minutes costs a 304. Their bytes depend
only on what they list (the DTSTAMP of an event is its last revision, not the time of the request),
so the ETag changes exactly when an entry does.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from icalendar import Calendar, Event

from assembly import feeds as assembly_feeds
from civic.feeds import FEED_LIMIT, CalendarEntry, NewsItem
from civic.http_cache import public_page
from petitions import feeds as petition_feeds
from referendums import feeds as referendum_feeds

_INSTRUMENTS = (petition_feeds, referendum_feeds, assembly_feeds)


def calendar_entries() -> list[CalendarEntry]:
    entries = [entry for module in _INSTRUMENTS for entry in module.calendar_entries()]
    entries.sort(key=lambda entry: (entry.starts_at, entry.uid), reverse=True)
    return entries


def news_items() -> list[NewsItem]:
    items = [item for module in _INSTRUMENTS for item in module.news_items()]
    items.sort(key=lambda item: (item.published_at, item.uid), reverse=True)
    return items[:FEED_LIMIT]


def render_calendar(entries: Iterable[CalendarEntry], *, base_url: str, domain: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", f"-//{settings.CITY_NAME}//civic//{(get_language() or 'fr').upper()}")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add(
        "x-wr-calname", _("%(city)s : votes, séances et échéances") % {"city": settings.CITY_NAME}
    )
    for entry in entries:
        event = Event()
        event.add("uid", f"{entry.uid}@{domain}")
        event.add("dtstamp", entry.revised_at)
        event.add("dtstart", entry.starts_at)
        if entry.ends_at is not None and entry.ends_at > entry.starts_at:
            event.add("dtend", entry.ends_at)
        event.add("summary", entry.summary)
        if entry.description:
            event.add("description", entry.description)
        if entry.location:
            event.add("location", entry.location)
        event.add("url", base_url + entry.path)
        event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()


def render_news(items: Iterable[NewsItem], *, base_url: str, feed_url: str) -> bytes:
    feed = Atom1Feed(
        title=_("%(city)s : initiatives, résultats et procès-verbaux")
        % {"city": settings.CITY_NAME},
        link=base_url + reverse("home"),
        description=_(
            "Les nouvelles initiatives, les résultats des votes et les procès-verbaux "
            "de l'assemblée citoyenne."
        ),
        language=get_language() or "fr",
        feed_url=feed_url,
        feed_guid=feed_url,
    )
    for item in items:
        feed.add_item(
            title=item.title,
            link=base_url + item.path,
            description=item.summary,
            unique_id=f"{base_url}{item.path}#{item.uid}",
            pubdate=item.published_at,
            updateddate=item.published_at,
        )
    return feed.writeString("utf-8").encode("utf-8")


def _base_url(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


@public_page
@require_GET
def calendar(request: HttpRequest) -> HttpResponse:
    body = render_calendar(
        calendar_entries(), base_url=_base_url(request), domain=request.get_host().split(":")[0]
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="agenda.ics"'
    return response


@public_page
@require_GET
def news(request: HttpRequest) -> HttpResponse:
    body = render_news(
        news_items(), base_url=_base_url(request), feed_url=_base_url(request) + request.path
    )
    return HttpResponse(body, content_type="application/atom+xml; charset=utf-8")
