"""Who may see and do what with a campaign (predicates; the services enforce them).

"Is voting open" and "may this person vote" are each written once, here. The first vote's SQL guard
(`store.first_vote_write`) spells `may_vote` in SQL; tests/referendums/test_rules.py runs both on one
table of cases.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, Protocol

from civic.roles import Role, has_role
from referendums import workflow
from referendums.models import Campaign, CampaignStatus, VotingMethod


def may_manage(user: Any) -> bool:
    return has_role(user, Role.CAMPAIGN_MANAGER)


def may_see_drafts(user: Any) -> bool:
    return has_role(user, Role.CAMPAIGN_MANAGER, Role.AUDITOR)


def may_view(user: Any, campaign: Campaign) -> bool:
    return campaign.status in workflow.PUBLIC or may_see_drafts(user)


def may_start_draft_from_assembly(user: Any) -> bool:
    """The assembly clerk (or a campaign manager) may start a consultation from a recommendation;
    only campaign managers can schedule it."""
    return has_role(user, Role.ASSEMBLY_CLERK, Role.CAMPAIGN_MANAGER)


class VotingWindow(Protocol):
    """What the voting rules read of a campaign: a Campaign, or the cast's `store.CastState`."""

    @property
    def status(self) -> str: ...
    @property
    def voting_method(self) -> str: ...
    @property
    def voting_opens_at(self) -> datetime: ...
    @property
    def voting_closes_at(self) -> datetime: ...


def voting_open(campaign: VotingWindow, now: datetime) -> bool:
    """Time is the guard, not the scheduler: the status says the clock opened the vote, and the
    instants say it is not yet closed (a late close never lets a ballot in)."""
    return (
        campaign.status == CampaignStatus.VOTING
        and campaign.voting_opens_at <= now < campaign.voting_closes_at
    )


# Why a cast is refused, first reason first (each maps to one domain error in the cast service).
NOT_ONLINE: Final = "not_online"
VOTING_NOT_OPEN: Final = "voting_not_open"
NOT_IN_ELECTORATE: Final = "not_in_electorate"


def vote_refusal(campaign: VotingWindow, now: datetime, *, in_electorate: bool) -> str | None:
    """Why this elector may not cast an online ballot now, or None if they may. A verified
    account is required before this (the API's permission, then the service)."""
    if campaign.voting_method != VotingMethod.ONLINE:
        return NOT_ONLINE
    if not voting_open(campaign, now):
        return VOTING_NOT_OPEN
    if not in_electorate:
        return NOT_IN_ELECTORATE
    return None


def may_vote(campaign: VotingWindow, now: datetime, *, in_electorate: bool) -> bool:
    return vote_refusal(campaign, now, in_electorate=in_electorate) is None
