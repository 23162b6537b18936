"""What other apps may call in the referendums app. Nothing else here is a contract.

- `campaign_draft_from_recommendation`: the citizens' assembly turns an adopted recommendation into
  a draft consultation, which a campaign manager then completes (question, calendar, scope).
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.audit import audit_record
from civic.errors import PermissionDenied
from civic.models import User
from civic.notifications import notify
from civic.roles import Role, has_role
from referendums.models import Campaign, CampaignKind, MajorityRule, OriginKind
from referendums.services.campaigns import _set_questions

__all__ = ["campaign_draft_from_recommendation"]

# Placeholder calendar of a draft: far enough out that nothing opens before a manager sets it.
_DRAFT_LEAD = timedelta(days=120)


def campaign_draft_from_recommendation(
    *, recommendation_id: int, title: str, text: str, source_url: str, actor: User
) -> int:
    """Create a draft advisory consultation from an assembly recommendation; returns its id.

    The assembly clerk (or a campaign manager) may start it; only campaign managers can schedule it.
    The question is the recommendation's title; the dossier starts from its text."""
    if not has_role(actor, Role.ASSEMBLY_CLERK, Role.CAMPAIGN_MANAGER):
        raise PermissionDenied(_("Action réservée au greffe de l'assemblée."))
    opens = timezone.now() + _DRAFT_LEAD
    with transaction.atomic():
        campaign = Campaign.objects.create(
            kind=CampaignKind.ADVISORY_CONSULTATION,
            title_fr=title[:200],
            dossier_fr=f"{text}\n\n{source_url}",
            origin_kind=OriginKind.ASSEMBLY,
            origin_id=recommendation_id,
            origin_label=_("Recommandation de l'assemblée citoyenne")[:200],
            cutoff_date=timezone.localdate(opens),
            campaign_opens_at=opens,
            voting_opens_at=opens + timedelta(days=14),
            voting_closes_at=opens + timedelta(days=21),
            quorum_percent=None,
            majority_rule=MajorityRule.NONE,  # L1112-20: an advisory consultation asks an opinion
            created_by=actor,
        )
        _set_questions(campaign, [])  # one yes/no question: the title
        audit_record(
            actor=actor,
            verb="referendum.draft_from_assembly",
            target=campaign,
            after={"title": campaign.title_fr, "source_url": source_url},
        )
        for manager in User.objects.filter(groups__name=Role.CAMPAIGN_MANAGER, is_active=True):
            notify(
                recipient=manager,
                kind="referendum_draft_from_assembly",
                subject=_("Nouveau projet de consultation : %(title)s")
                % {"title": campaign.title_fr},
                body=_(
                    "L'assemblée citoyenne a transformé une recommandation en projet de "
                    "consultation. Complétez la question, le calendrier et le périmètre."
                ),
            )
    return int(campaign.pk)
