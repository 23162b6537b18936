"""Alerts on trending sources (the UK petitions site's rule): an IP address with LOG_AT signatures
on one initiative within the last hour is logged; past ALERT_AT, the moderators are told, once per
initiative, address and hour."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from petitions.models import Initiative
from petitions.selectors.trending import ALERT_AT, busy_addresses, first_id_since
from petitions.services._common import moderators, notify_all

logger = logging.getLogger(__name__)
LOW_KEY = "petitions:trending:low"


def trending_alerts() -> dict[str, int]:
    """Run once a minute by beat. Returns how many sources were logged and alerted."""
    now = timezone.now()
    since = now - timedelta(hours=1)
    low = int(cache.get(LOW_KEY) or 0)
    first = first_id_since(after_id=low, since=since)
    if first is None:
        return {"logged": 0, "alerted": 0}
    cache.set(LOW_KEY, first - 1, timeout=None)
    logged = alerted = 0
    for initiative_id, ip, n in busy_addresses(after_id=first - 1, since=since):
        # The address is in the server log only as a count: which address is for moderators.
        logger.warning(
            "trending source: %s signatures from one address on initiative %s", n, initiative_id
        )
        logged += 1
        if n >= ALERT_AT and cache.add(
            f"petitions:trending:alerted:{initiative_id}:{ip}:{now:%Y%m%d%H}", 1, timeout=7200
        ):
            _alert(initiative_id, ip, n)
            alerted += 1
    return {"logged": logged, "alerted": alerted}


def _alert(initiative_id: int, ip: str, n: int) -> None:
    initiative = Initiative.objects.get(pk=initiative_id)
    notify_all(
        moderators(),
        kind="petitions.trending_source",
        subject=gettext_lazy("Source de signatures inhabituelle"),
        body=format_lazy(
            gettext_lazy(
                "{n} signatures de l'initiative « {title} » viennent de la même adresse ({ip}) en une heure. Vérifiez-les depuis la page d'invalidation."
            ),
            n=n,
            title=initiative.title,
            ip=ip,
        ),
        url=reverse("petitions:staff-invalidations", kwargs={"pk": initiative_id}),
    )
