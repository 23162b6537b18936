"""The transitions the clock makes (Celery beat, never a person): open the campaign, open the vote,
close it. Each is a guarded update that acts exactly once, whoever races."""

from __future__ import annotations

import logging
from typing import Any

from celery import current_app
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from civic.audit import audit_record
from civic.eligibility import eligible_entries
from civic.errors import DomainError
from civic.models import WebhookEvent
from civic.webhooks import webhook_emit
from referendums import store, workflow
from referendums.models import (
    TURNOUT_SLOTS,
    Campaign,
    CampaignDistrict,
    CampaignStatus,
    ElectorateMember,
    PollingStation,
    SealingKey,
    StationElectorate,
    TurnoutSlot,
)
from referendums.sealing import new_wrapped_key
from referendums.services.common import announce_status, campaign_snapshot
from referendums.services.paper import stations_for
from referendums.services.tally import tally_close

logger = logging.getLogger(__name__)

S = CampaignStatus
# Named, not imported: referendums.tasks imports this module (the beat's job); the app's ready()
# registers the task.
VACUUM_TASK = "referendums.tasks.vacuum_after_close"
HEADS_TASK = "civic.tasks.publish_audit_heads"  # the sealed box's digest, published at once


def apportion(total: int, weights: list[int]) -> list[int]:
    """Split `total` in proportion to `weights` (evenly when they are all zero), largest remainder
    first and ties to the earlier share, so that the shares add up to `total` exactly."""
    if not weights:
        return []
    if not any(weights):
        weights = [1] * len(weights)
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _stations_freeze(campaign: Campaign, by_district: dict[str, int]) -> None:
    """A paper vote's electors per polling station: each district's frozen electors shared among
    its stations of the scope in proportion to their roll figures (all of them when the district
    has one station). The result sheets are checked against these figures and the LO1112-7 quorum
    counts them."""
    per_district: dict[str, list[PollingStation]] = {}
    for station in stations_for(campaign):
        per_district.setdefault(station.district.code, []).append(station)
    rows = []
    for code, stations in sorted(per_district.items()):
        shares = apportion(by_district.get(code, 0), [s.registered_electors for s in stations])
        rows += [
            StationElectorate(campaign=campaign, station=s, electors=n)
            for s, n in zip(stations, shares, strict=True)
        ]
    StationElectorate.objects.bulk_create(rows)


def electorate_freeze(*, campaign: Campaign) -> int:
    """Copy the eligible register entries of the scope into ElectorateMember, once. The database
    accepts electors only until the campaign is stamped frozen, and refuses any change after."""
    if campaign.electorate_frozen_at is not None:
        return campaign.electorate_count or 0
    entries = eligible_entries(campaign.predicate, on=campaign.cutoff_date)
    if not campaign.whole_city:
        entries = entries.filter(
            district__in=CampaignDistrict.objects.filter(campaign=campaign).values("district")
        )
    # The freeze is the only writer of the electorate: anything written before it is discarded.
    ElectorateMember.objects.filter(campaign=campaign).delete()
    StationElectorate.objects.filter(campaign=campaign).delete()
    sql, params = entries.order_by().values_list("id", "district_id").query.sql_with_params()
    store.electorate_insert(campaign.pk, sql, params)
    by_district = {
        row["district__code"]: row["n"]
        for row in ElectorateMember.objects.filter(campaign=campaign)
        .values("district__code")
        .annotate(n=Count("id"))
    }
    if not campaign.is_online:
        _stations_freeze(campaign, by_district)
    campaign.electorate_districts = by_district
    campaign.electorate_count = sum(by_district.values())
    campaign.electorate_frozen_at = timezone.now()
    campaign.save(
        update_fields=["electorate_districts", "electorate_count", "electorate_frozen_at"]
    )
    return campaign.electorate_count


def _timed(campaign_id: int, source: str, target: str, time_field: str, **stamps: Any) -> bool:
    """The guarded update of a timed transition: it changes the row only if the campaign is
    still at `source` and its instant has come, so exactly one caller acts."""
    assert workflow.is_timed(source, target), (source, target)
    changed = Campaign.objects.filter(
        pk=campaign_id, status=source, **{f"{time_field}__lte": timezone.now()}
    ).update(status=target, **stamps)
    return bool(changed)


def _system_audit(campaign: Campaign, source: str) -> None:
    audit_record(
        actor=None,
        verb=f"referendum.{campaign.status}",
        target=campaign,
        before={"status": source},
        after=campaign_snapshot(campaign),
    )
    announce_status(campaign)


def campaign_open_due(*, campaign_id: int) -> bool:
    """scheduled -> campaign at campaign_opens_at; freezes the electorate (the cut-off is past)."""
    with transaction.atomic():
        if not _timed(campaign_id, S.SCHEDULED, S.CAMPAIGN, "campaign_opens_at"):
            return False
        campaign = Campaign.objects.get(pk=campaign_id)
        electorate_freeze(campaign=campaign)
        _system_audit(campaign, S.SCHEDULED)
    return True


def _ballot_box_open(campaign: Campaign) -> None:
    """An online vote's sealing key and its turnout slots, written as the vote opens."""
    SealingKey.objects.create(campaign=campaign, wrapped_key=new_wrapped_key(campaign.pk))
    TurnoutSlot.objects.bulk_create(
        [
            TurnoutSlot(campaign=campaign, district_code=code, slot=slot)
            for code in sorted(campaign.electorate_districts)
            for slot in range(TURNOUT_SLOTS)
        ],
        ignore_conflicts=True,
    )


def voting_open_due(*, campaign_id: int) -> bool:
    """campaign -> voting at voting_opens_at; an online vote gets its sealing key here."""
    with transaction.atomic():
        if not _timed(
            campaign_id, S.CAMPAIGN, S.VOTING, "voting_opens_at", opened_at=timezone.now()
        ):
            return False
        campaign = Campaign.objects.get(pk=campaign_id)
        electorate_freeze(campaign=campaign)
        if campaign.is_online:
            _ballot_box_open(campaign)
        _system_audit(campaign, S.CAMPAIGN)
        webhook_emit(
            event=WebhookEvent.REFERENDUM_OPENED,
            payload={
                "campaign_id": campaign.pk,
                "title": campaign.title_fr,
                "kind": campaign.kind,
                "opened_at": campaign.opened_at,
                "voting_closes_at": campaign.voting_closes_at,
            },
        )
    return True


def voting_close_due(*, campaign_id: int) -> bool:
    """voting -> closed at voting_closes_at. Online: destroy the seals, shuffle, count, digest —
    all in this transaction, so a crash leaves the vote open for the next tick to close."""
    with transaction.atomic():
        store.campaign_lock(campaign_id, shared=False)  # waits for casts in flight
        now = timezone.now()
        if not _timed(campaign_id, S.VOTING, S.CLOSED, "voting_closes_at", closed_at=now):
            return False
        campaign = Campaign.objects.get(pk=campaign_id)
        if campaign.is_online:
            tally_close(campaign=campaign)
            current_app.tasks[VACUUM_TASK].delay_on_commit(campaign_id)
            current_app.tasks[HEADS_TASK].delay_on_commit()
        _system_audit(campaign, S.VOTING)
        # Announces the close only: no turnout, no count (the results have their own event).
        webhook_emit(
            event=WebhookEvent.REFERENDUM_CLOSED,
            payload={"campaign_id": campaign.pk, "title": campaign.title_fr, "closed_at": now},
        )
    return True


# The beat's steps, in lifecycle order: (report name, source status, instant field, step).
_STEPS = (
    ("campaign", S.SCHEDULED, "campaign_opens_at", campaign_open_due),
    ("voting", S.CAMPAIGN, "voting_opens_at", voting_open_due),
    ("closed", S.VOTING, "voting_closes_at", voting_close_due),
)


def campaigns_advance() -> dict[str, int]:
    """The beat job: act on every due deadline; each step is a guarded update (exactly once).
    A campaign whose step is refused (e.g. a drifted turnout counter at the close) stays where it
    is, is reported, and does not hold up the others."""
    now = timezone.now()
    done = {"campaign": 0, "voting": 0, "closed": 0}
    for name, source, field, step in _STEPS:
        due = Campaign.objects.filter(status=source, **{f"{field}__lte": now}).values_list(
            "pk", flat=True
        )
        for pk in list(due):
            try:
                with transaction.atomic():
                    # Two sweeps running at once (a backlog of beat ticks) share the work rather
                    # than walk the same list in lockstep, each waiting on the other's row.
                    if store.campaign_sweep_claim(pk):
                        done[name] += step(campaign_id=pk)
            except DomainError as exc:
                logger.error("referendum %s: step %s refused (%s)", pk, name, exc.code)
    if any(done.values()):
        logger.info("referendums advanced: %s", done)
    return done
