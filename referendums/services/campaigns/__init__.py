"""Campaign writes: creation and editing, one service per lifecycle transition (a person's or the
clock's), the material, drafts from the assembly, and the purge of personal data."""

from referendums.services.campaigns.clock import (
    campaign_open_due,
    campaigns_advance,
    electorate_freeze,
    voting_close_due,
    voting_open_due,
)
from referendums.services.campaigns.drafts import campaign_draft_from_recommendation
from referendums.services.campaigns.editing import (
    calendar_facts,
    campaign_create,
    campaign_update,
    default_campaign_window,
    set_questions,
)
from referendums.services.campaigns.material import argument_set, campaigner_authorise
from referendums.services.campaigns.retention import personal_data_purge_due
from referendums.services.campaigns.transitions import (
    campaign_archive,
    campaign_cancel,
    campaign_publish_results,
    campaign_schedule,
    campaign_transition,
)

__all__ = [
    "argument_set",
    "calendar_facts",
    "campaign_archive",
    "campaign_cancel",
    "campaign_create",
    "campaign_draft_from_recommendation",
    "campaign_open_due",
    "campaign_publish_results",
    "campaign_schedule",
    "campaign_transition",
    "campaign_update",
    "campaigner_authorise",
    "campaigns_advance",
    "default_campaign_window",
    "electorate_freeze",
    "personal_data_purge_due",
    "set_questions",
    "voting_close_due",
    "voting_open_due",
]
