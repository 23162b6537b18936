"""A draft consultation made from a citizens' assembly recommendation (event
`assembly.recommendation_referred`), which a campaign manager then completes (question, calendar,
scope)."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.audit import audit_record
from civic.errors import PermissionDenied
from civic.events import publish
from civic.models import User
from civic.notifications import notify
from civic.roles import Role
from referendums import rules
from referendums.models import Campaign, CampaignKind, MajorityRule, OriginKind
from referendums.services.campaigns.editing import set_questions

DRAFT_CREATED_EVENT = "referendums.draft_created"
# Placeholder calendar of a draft: far enough out that nothing opens before a manager sets it.
_DRAFT_LEAD = timedelta(days=120)


def _draft_insert(
    *, recommendation_id: int, title: str, text: str, source_url: str, actor: User
) -> Campaign:
    opens = timezone.now() + _DRAFT_LEAD
    return Campaign.objects.create(
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


def _managers_tell(campaign: Campaign) -> None:
    for manager in User.objects.filter(groups__name=Role.CAMPAIGN_MANAGER, is_active=True):
        notify(
            recipient=manager,
            kind="referendum_draft_from_assembly",
            subject=_("Nouveau projet de consultation : %(title)s") % {"title": campaign.title_fr},
            body=_(
                "L'assemblée citoyenne a transformé une recommandation en projet de "
                "consultation. Complétez la question, le calendrier et le périmètre."
            ),
        )


def campaign_draft_from_recommendation(
    *, recommendation_id: int, title: str, text: str, source_url: str, actor: User
) -> int | None:
    """Create a draft advisory consultation from an assembly recommendation and announce it
    (`referendums.draft_created`); returns its id, or None when the recommendation already has its
    draft (a repeated delivery creates nothing). The question is the recommendation's title; the
    dossier starts from its text."""
    if not rules.may_start_draft_from_assembly(actor):
        raise PermissionDenied(_("Action réservée au greffe de l'assemblée."))
    existing = Campaign.objects.filter(origin_kind=OriginKind.ASSEMBLY, origin_id=recommendation_id)
    if existing.exists():
        return None
    with transaction.atomic():
        try:
            with transaction.atomic():
                campaign = _draft_insert(
                    recommendation_id=recommendation_id,
                    title=title,
                    text=text,
                    source_url=source_url,
                    actor=actor,
                )
        except IntegrityError:  # a concurrent delivery made it first (one draft per origin)
            return None
        set_questions(campaign, [])  # one yes/no question: the title
        audit_record(
            actor=actor,
            verb="referendum.draft_from_assembly",
            target=campaign,
            after={"title": campaign.title_fr, "source_url": source_url},
        )
        _managers_tell(campaign)
        publish(
            DRAFT_CREATED_EVENT,
            campaign_id=campaign.pk,
            origin_kind=OriginKind.ASSEMBLY.value,
            origin_id=recommendation_id,
            actor_id=actor.pk,
        )
    return int(campaign.pk)
