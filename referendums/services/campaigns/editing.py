"""Creating and editing a campaign (draft or scheduled), and the checks of its calendar."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.audit import audit_record
from civic.errors import Conflict, RuleViolation
from civic.models import District, User
from referendums import workflow
from referendums.legal_calendar import (
    CalendarFacts,
    calendar_violations,
    legal_campaign_opening,
    local_midnight,
)
from referendums.models import (
    Campaign,
    CampaignDistrict,
    CampaignKind,
    CampaignStatus,
    ElectoralCalendarEntry,
    ElectoralEventKind,
    MajorityRule,
    Option,
    OptionMeaning,
    Question,
    VotingMethod,
)
from referendums.models.campaigns import EDITABLE_FIELDS
from referendums.services.common import (
    campaign_locked,
    campaign_snapshot,
    frozen_violation,
    require_manager,
)

S = CampaignStatus
DEFAULT_OPTIONS = [("yes", "Oui", "Yes"), ("no", "Non", "No")]
# Option keys are `o1`..`o9`: one length for all, so neither a stored ballot nor the size of an
# encrypted vote request tells which option was chosen.
MAX_OPTIONS = 9


def option_key(position: int) -> str:
    return f"o{position}"


def _option_meaning(spec: dict[str, Any]) -> str:
    meaning = spec.get("meaning") or spec.get("key") or ""
    return meaning if meaning in OptionMeaning.values else ""


def _refuse_unknown(fields: dict[str, Any], *, also: frozenset[str] = frozenset()) -> None:
    unknown = set(fields) - set(EDITABLE_FIELDS) - also
    if unknown:
        raise RuleViolation(f"Unknown fields: {sorted(unknown)}", code="invalid")


def _check_calendar_order(data: dict[str, Any]) -> None:
    opens, voting, closes = (
        data.get("campaign_opens_at"),
        data.get("voting_opens_at"),
        data.get("voting_closes_at"),
    )
    if opens and voting and closes and not (opens <= voting < closes):
        raise RuleViolation(
            _("Le calendrier doit suivre l'ordre : campagne, ouverture du vote, clôture."),
            code="calendar_order",
        )
    cutoff = data.get("cutoff_date")
    if cutoff and voting and cutoff > timezone.localtime(voting).date():
        raise RuleViolation(
            _("Le corps électoral est arrêté au plus tard le jour de l'ouverture du vote."),
            code="cutoff_after_opening",
        )


def _kind_rules(kind: str, fields: dict[str, Any]) -> None:
    """Binding referendums are on paper and follow LO1112-7 (quorum 50 %, majority of votes
    cast); an advisory consultation gives an opinion only, never with a quorum (L1112-20)."""
    if kind == CampaignKind.BINDING_REFERENDUM:
        fields["voting_method"] = VotingMethod.PAPER
        fields["quorum_percent"] = 50
        fields["majority_rule"] = MajorityRule.SIMPLE
    elif kind == CampaignKind.ADVISORY_CONSULTATION:
        fields["quorum_percent"] = None
        fields["majority_rule"] = MajorityRule.NONE


def campaign_create(
    *,
    actor: User,
    kind: str,
    districts: list[str] | None = None,
    questions: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> Campaign:
    """Create a draft. `questions`: [{"text_fr", "text_en"?, "options"?: [{"key", "label_fr",
    "label_en"?}]}]; a question without options is yes/no."""
    require_manager(actor)
    _refuse_unknown(fields, also=frozenset({"voting_method"}))
    _kind_rules(kind, fields)
    _check_calendar_order(fields)
    with transaction.atomic():
        try:
            with transaction.atomic():
                campaign = Campaign.objects.create(
                    kind=kind, created_by=actor, whole_city=not districts, **fields
                )
        except IntegrityError as exc:
            raise RuleViolation(_("Valeurs incohérentes."), code="invalid") from exc
        _set_districts(campaign, districts or [])
        set_questions(campaign, questions or [])
        audit_record(
            actor=actor,
            verb="referendum.create",
            target=campaign,
            after=campaign_snapshot(campaign),
        )
    return campaign


def _set_districts(campaign: Campaign, codes: list[str]) -> None:
    found = list(District.objects.filter(code__in=codes))
    if len(found) != len(set(codes)):
        raise RuleViolation(_("Quartier inconnu."), code="unknown_district")
    CampaignDistrict.objects.filter(campaign=campaign).delete()
    CampaignDistrict.objects.bulk_create(
        [CampaignDistrict(campaign=campaign, district=d) for d in found]
    )


def set_questions(campaign: Campaign, questions: list[dict[str, Any]]) -> None:
    """Replace the campaign's questions; none given: one yes/no question, its title."""
    if not questions:
        questions = [{"text_fr": campaign.title_fr, "text_en": campaign.title_en}]
    Question.objects.filter(campaign=campaign).delete()
    for position, spec in enumerate(questions, start=1):
        question = Question.objects.create(
            campaign=campaign,
            position=position,
            text_fr=spec["text_fr"],
            text_en=spec.get("text_en", ""),
        )
        options = spec.get("options") or [
            {"meaning": k, "label_fr": fr, "label_en": en} for k, fr, en in DEFAULT_OPTIONS
        ]
        labels = [o["label_fr"] for o in options]
        meanings = [m for m in map(_option_meaning, options) if m]
        if (
            not 2 <= len(options) <= MAX_OPTIONS
            or len(set(labels)) != len(labels)
            or len(set(meanings)) != len(meanings)
        ):
            raise RuleViolation(
                _("Chaque question a de deux à neuf réponses distinctes."), code="invalid_options"
            )
        Option.objects.bulk_create(
            [
                Option(
                    question=question,
                    key=option_key(i),
                    meaning=_option_meaning(o),
                    position=i,
                    label_fr=o["label_fr"],
                    label_en=o.get("label_en", ""),
                )
                for i, o in enumerate(options, start=1)
            ]
        )


def questions_snapshot(campaign: Campaign) -> list[dict[str, Any]]:
    """The wording of the questions and their options, as the audit log keeps it."""
    return [
        {
            "text_fr": q.text_fr,
            "text_en": q.text_en,
            "options": [
                {"key": o.key, "label_fr": o.label_fr, "label_en": o.label_en}
                for o in q.options.order_by("position", "id")
            ],
        }
        for q in Question.objects.filter(campaign=campaign).order_by("position", "id")
    ]


def _check_editable(campaign: Campaign, *, scope_changes: bool) -> None:
    if campaign.status not in workflow.EDITABLE:
        raise Conflict(_("La campagne ne peut plus être modifiée."), code="campaign_not_editable")
    if campaign.status != S.DRAFT and scope_changes:
        raise Conflict(
            _("Questions, périmètre et corps électoral sont figés une fois programmé."),
            code="campaign_not_editable",
        )


def _apply_fields(campaign: Campaign, fields: dict[str, Any]) -> None:
    """Set the edited fields (a referendum's or consultation's legal rules stay as the law sets
    them) and check the calendar they make."""
    if campaign.kind in (CampaignKind.BINDING_REFERENDUM, CampaignKind.ADVISORY_CONSULTATION):
        fields.pop("quorum_percent", None)
        fields.pop("majority_rule", None)
    for name, value in fields.items():
        setattr(campaign, name, value)
    _check_calendar_order(
        {
            "campaign_opens_at": campaign.campaign_opens_at,
            "voting_opens_at": campaign.voting_opens_at,
            "voting_closes_at": campaign.voting_closes_at,
            "cutoff_date": campaign.cutoff_date,
        }
    )
    if campaign.status == S.SCHEDULED and campaign.kind == CampaignKind.BINDING_REFERENDUM:
        raise_calendar_violations(campaign)


def campaign_update(
    *,
    campaign_id: int,
    actor: User,
    districts: list[str] | None = None,
    questions: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> Campaign:
    """Edit while draft or scheduled. Questions and scope are frozen once scheduled."""
    require_manager(actor)
    _refuse_unknown(fields)
    with transaction.atomic():
        campaign = campaign_locked(campaign_id)
        _check_editable(
            campaign,
            scope_changes=questions is not None or districts is not None or "predicate" in fields,
        )
        before = campaign_snapshot(campaign)
        _apply_fields(campaign, fields)
        try:
            with transaction.atomic():
                campaign.save()
                if districts is not None:
                    campaign.whole_city = not districts
                    campaign.save(update_fields=["whole_city"])
                    _set_districts(campaign, districts)
                if questions is not None:
                    before["questions"] = questions_snapshot(campaign)
                    set_questions(campaign, questions)
        except IntegrityError as exc:  # a database rule (e.g. an origin without its id)
            raise frozen_violation(exc) or RuleViolation(
                _("Valeurs incohérentes."), code="invalid"
            ) from exc
        after = campaign_snapshot(campaign)
        if questions is not None:
            after["questions"] = questions_snapshot(campaign)
        if districts is not None:
            after["districts"] = sorted(districts)
        audit_record(
            actor=actor,
            verb="referendum.update",
            target=campaign,
            before=before,
            after=after,
        )
    return campaign


# --- The calendar of a binding referendum ----------------------------------------------------


def calendar_facts(campaign: Campaign) -> CalendarFacts:
    vote_date = timezone.localtime(campaign.voting_opens_at).date()
    renewals = tuple(
        (e.label, e.starts_on)
        for e in ElectoralCalendarEntry.objects.filter(kind=ElectoralEventKind.COUNCIL_RENEWAL)
    )
    elections = tuple(
        (e.label, e.starts_on, e.ends_on)
        for e in ElectoralCalendarEntry.objects.filter(
            kind=ElectoralEventKind.ELECTION_CAMPAIGN, ends_on__isnull=False
        )
        if e.ends_on is not None
    )
    same_subject: tuple[date, ...] = ()
    if campaign.subject_key:
        same_subject = tuple(
            timezone.localtime(opens).date()
            for opens in Campaign.objects.filter(
                subject_key=campaign.subject_key,
                kind__in=[CampaignKind.BINDING_REFERENDUM, CampaignKind.ADVISORY_CONSULTATION],
            )
            .exclude(pk=campaign.pk)
            .exclude(status__in=[S.DRAFT, S.CANCELLED])
            .values_list("voting_opens_at", flat=True)
        )
    return CalendarFacts(
        vote_date=vote_date,
        deliberation_date=campaign.deliberation_date,
        prefect_transmission_date=campaign.prefect_transmission_date,
        dossier_public_date=campaign.dossier_public_date,
        campaign_opens_at=campaign.campaign_opens_at,
        voting_opens_at=campaign.voting_opens_at,
        renewals=renewals,
        election_campaigns=elections,
        same_subject_votes=same_subject,
    )


def raise_calendar_violations(campaign: Campaign) -> None:
    violations = calendar_violations(calendar_facts(campaign))
    if violations:
        first = violations[0]
        raise RuleViolation(
            " ".join(f"{v.rule} : {v.detail}" for v in violations),
            code=first.code,
            rule=first.rule,
        )


def default_campaign_window(vote_date: date) -> datetime:
    """The LO1112-9 campaign opening, for forms that propose it."""
    return local_midnight(legal_campaign_opening(vote_date))
