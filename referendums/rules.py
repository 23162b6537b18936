"""Who may see and do what with a campaign (predicates; the services enforce them)."""

from __future__ import annotations

from typing import Any

from civic.roles import Role, has_role
from referendums import workflow
from referendums.models import Campaign


def may_manage(user: Any) -> bool:
    return has_role(user, Role.CAMPAIGN_MANAGER)


def may_see_drafts(user: Any) -> bool:
    return has_role(user, Role.CAMPAIGN_MANAGER, Role.AUDITOR)


def may_view(user: Any, campaign: Campaign) -> bool:
    return campaign.status in workflow.PUBLIC or may_see_drafts(user)
