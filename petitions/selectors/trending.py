"""Trending sources of signatures, for moderators spotting a campaign of fakes: signatures per IP
address, per e-mail domain and per hour over a recent window (as the UK Parliament petitions site
shows them), staff only: addresses and domains are personal data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import CharField, Count, F, Func, Value
from django.db.models.functions import Lower, TruncHour
from django.utils import timezone

from petitions.models import Signature

# As the UK site: a source is logged past LOG_AT signatures in an hour, moderators alerted past
# ALERT_AT.
LOG_AT = 100
ALERT_AT = 200


@dataclass(frozen=True)
class Trending:
    since: datetime
    by_ip: list[dict[str, Any]]
    by_domain: list[dict[str, Any]]
    by_hour: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": self.since,
            "alert_at": ALERT_AT,
            "by_ip": self.by_ip,
            "by_domain": self.by_domain,
            "by_hour": self.by_hour,
        }


def trending_sources(*, initiative_id: int, hours: int = 24, top: int = 20) -> Trending:
    """The busiest sources of one initiative's counted signatures over the last `hours`."""
    since = timezone.now() - timedelta(hours=hours)
    recent = Signature.objects.filter(
        initiative_id=initiative_id, invalidation__isnull=True, created_at__gte=since
    )
    by_ip = list(
        recent.filter(ip__isnull=False)
        .values("ip")
        .annotate(count=Count("id"))
        .order_by("-count", "ip")[:top]
    )
    domain = Lower(
        Func(
            F("register_entry__account__email"),
            Value("@"),
            Value(2),
            function="split_part",
            output_field=CharField(),
        )
    )
    by_domain = list(
        recent.filter(register_entry__account__isnull=False)
        .annotate(domain=domain)
        .values("domain")
        .annotate(count=Count("id"))
        .order_by("-count", "domain")[:top]
    )
    by_hour = list(
        recent.annotate(hour=TruncHour("created_at"))
        .values("hour")
        .annotate(count=Count("id"))
        .order_by("hour")
    )
    for row in [*by_ip, *by_domain]:
        row["alert"] = row["count"] >= ALERT_AT
    return Trending(since, by_ip, by_domain, by_hour)


def busy_addresses(*, after_id: int, since: datetime) -> list[tuple[int, str, int]]:
    """(initiative, IP address, signatures) of every address with LOG_AT or more counted
    signatures on one initiative since `since`, reading ids above `after_id` only (a primary-key
    range: the caller keeps the lowest id of the window, so the work follows the last hour's
    signatures, never the table)."""
    rows = (
        Signature.objects.filter(
            id__gt=after_id, created_at__gte=since, ip__isnull=False, invalidation__isnull=True
        )
        .values("initiative_id", "ip")
        .annotate(n=Count("id"))
        .filter(n__gte=LOG_AT)
        .order_by("initiative_id", "ip")
    )
    return [(r["initiative_id"], str(r["ip"]), r["n"]) for r in rows]


def first_id_since(*, after_id: int, since: datetime) -> int | None:
    """The lowest signature id above `after_id` made at or after `since` (a walk up the primary
    key from the last window's start, which is about one tick of signatures)."""
    return (
        Signature.objects.filter(id__gt=after_id, created_at__gte=since)
        .order_by("id")
        .values_list("id", flat=True)
        .first()
    )
