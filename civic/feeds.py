"""What each instrument offers to the public feeds: dates to put in a calendar and news to follow.

Each instrument builds these from its own tables (`<app>.feeds`: `calendar_entries` and
`news_items`); `dashboards.feeds` merges them into one iCalendar file (RFC 5545) and one Atom feed
(RFC 4287). The entries carry only what the public pages already show: titles, dates, places and the
address of the page, never a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# How many items a feed lists: enough for a year of a city's instruments, small enough to stay a
# cheap, cacheable public page.
FEED_LIMIT = 100


@dataclass(frozen=True)
class CalendarEntry:
    """A dated event. `uid` is stable for the life of the event, so that a calendar that subscribed
    updates it in place (a session moved to another room) instead of adding a second one."""

    uid: str
    summary: str
    starts_at: datetime
    ends_at: datetime | None  # None: a moment (a deadline), not a span
    path: str
    revised_at: datetime  # when what the entry says last changed (its DTSTAMP)
    description: str = ""
    location: str = ""
    cancelled: bool = False


@dataclass(frozen=True)
class NewsItem:
    """Something published: a new initiative, a referendum's results, a session's minutes."""

    uid: str
    title: str
    summary: str
    published_at: datetime
    path: str
