"""Campaign writes: creation, material, and one service per lifecycle transition."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.audit import audit_record
from civic.eligibility import eligible_entries
from civic.errors import (
    Conflict,
    DomainError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    RuleViolation,
)
from civic.models import District, User, WebhookEvent
from civic.roles import Role, has_role
from civic.webhooks import webhook_emit
from referendums import workflow
from referendums.legal_calendar import CalendarFacts, calendar_violations, local_midnight
from referendums.models import (
    TURNOUT_SLOTS,
    Argument,
    Campaign,
    CampaignDistrict,
    Campaigner,
    CampaignKind,
    CampaignStatus,
    ElectoralCalendarEntry,
    ElectoralEventKind,
    ElectorateMember,
    MajorityRule,
    Option,
    Participation,
    Question,
    SealingKey,
    TurnoutSlot,
    VotingMethod,
)
from referendums.models.campaigns import ARGUMENT_MAX_LENGTH
from referendums.sealing import new_wrapped_key
from referendums.services.common import (
    campaign_lock,
    campaign_snapshot,
    campaign_sweep_claim,
    notify_campaign_staff,
)

logger = logging.getLogger(__name__)

S = CampaignStatus
EDITABLE_FIELDS = frozenset(
    {
        "title_fr",
        "title_en",
        "summary_fr",
        "summary_en",
        "dossier_fr",
        "dossier_en",
        "subject_key",
        "predicate",
        "cutoff_date",
        "origin_kind",
        "origin_id",
        "origin_label",
        "deliberation_date",
        "prefect_transmission_date",
        "dossier_public_date",
        "campaign_opens_at",
        "voting_opens_at",
        "voting_closes_at",
        "quorum_percent",
        "majority_rule",
        "challenge_days",
        "retention_days",
    }
)
DEFAULT_OPTIONS = [("yes", "Oui", "Yes"), ("no", "Non", "No")]


def _require_manager(actor: User) -> None:
    if not has_role(actor, Role.CAMPAIGN_MANAGER):
        raise PermissionDenied(_("Action réservée aux responsables de campagne."))


def _get_locked(campaign_id: int) -> Campaign:
    campaign = Campaign.objects.select_for_update(of=("self",)).filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound(_("Campagne introuvable."))
    return campaign


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


def campaign_create(
    *,
    actor: User,
    kind: str,
    districts: list[str] | None = None,
    questions: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> Campaign:
    """Create a draft. `questions`: [{"text_fr", "text_en"?, "options"?: [{"key", "label_fr",
    "label_en"?}]}]; a question without options is yes/no. Binding referendums are on paper and
    follow LO1112-7 (quorum 50 %, majority of votes cast)."""
    _require_manager(actor)
    unknown = set(fields) - EDITABLE_FIELDS - {"voting_method"}
    if unknown:
        raise RuleViolation(f"Unknown fields: {sorted(unknown)}", code="invalid")
    if kind == CampaignKind.BINDING_REFERENDUM:
        fields["voting_method"] = VotingMethod.PAPER
        fields["quorum_percent"] = 50
        fields["majority_rule"] = MajorityRule.SIMPLE
    elif kind == CampaignKind.ADVISORY_CONSULTATION:
        # L1112-20: an opinion only, never a quorum.
        fields["quorum_percent"] = None
        fields["majority_rule"] = MajorityRule.NONE
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
        _set_questions(campaign, questions or [])
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


def _set_questions(campaign: Campaign, questions: list[dict[str, Any]]) -> None:
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
            {"key": k, "label_fr": fr, "label_en": en} for k, fr, en in DEFAULT_OPTIONS
        ]
        keys = [o["key"] for o in options]
        if len(options) < 2 or len(set(keys)) != len(keys):
            raise RuleViolation(
                _("Chaque question a au moins deux réponses distinctes."), code="invalid_options"
            )
        Option.objects.bulk_create(
            [
                Option(
                    question=question,
                    key=o["key"],
                    position=i,
                    label_fr=o["label_fr"],
                    label_en=o.get("label_en", ""),
                )
                for i, o in enumerate(options, start=1)
            ]
        )


def campaign_update(
    *,
    campaign_id: int,
    actor: User,
    districts: list[str] | None = None,
    questions: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> Campaign:
    """Edit while draft or scheduled. Questions and scope are frozen once scheduled."""
    _require_manager(actor)
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise RuleViolation(f"Unknown fields: {sorted(unknown)}", code="invalid")
    with transaction.atomic():
        campaign = _get_locked(campaign_id)
        if campaign.status not in workflow.EDITABLE:
            raise Conflict(
                _("La campagne ne peut plus être modifiée."), code="campaign_not_editable"
            )
        if campaign.status != S.DRAFT and (
            questions is not None or districts is not None or "predicate" in fields
        ):
            raise Conflict(
                _("Questions, périmètre et corps électoral sont figés une fois programmé."),
                code="campaign_not_editable",
            )
        if campaign.kind == CampaignKind.BINDING_REFERENDUM:
            fields.pop("quorum_percent", None)
            fields.pop("majority_rule", None)
        if campaign.kind == CampaignKind.ADVISORY_CONSULTATION:
            fields.pop("quorum_percent", None)
            fields.pop("majority_rule", None)
        before = campaign_snapshot(campaign)
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
            _raise_calendar_violations(campaign)
        try:
            with transaction.atomic():
                campaign.save()
        except IntegrityError as exc:  # a database rule (e.g. an origin without its id)
            raise RuleViolation(_("Valeurs incohérentes."), code="invalid") from exc
        if districts is not None:
            campaign.whole_city = not districts
            campaign.save(update_fields=["whole_city"])
            _set_districts(campaign, districts)
        if questions is not None:
            _set_questions(campaign, questions)
        audit_record(
            actor=actor,
            verb="referendum.update",
            target=campaign,
            before=before,
            after=campaign_snapshot(campaign),
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


def _raise_calendar_violations(campaign: Campaign) -> None:
    violations = calendar_violations(calendar_facts(campaign))
    if violations:
        first = violations[0]
        raise RuleViolation(
            " ".join(f"{v.rule} : {v.detail}" for v in violations),
            code=first.code,
            rule=first.rule,
        )


# --- Transitions a person requests ------------------------------------------------------------


def _transition(campaign: Campaign, target: str, actor: User | None, **stamps: datetime) -> None:
    if not workflow.can_transition(campaign.status, target):
        raise InvalidTransition(
            _("Transition impossible de « %(from)s » vers « %(to)s ».")
            % {"from": campaign.get_status_display(), "to": target}
        )
    before = campaign_snapshot(campaign)
    campaign.status = target
    for name, value in stamps.items():
        setattr(campaign, name, value)
    campaign.save(update_fields=["status", *stamps])
    audit_record(
        actor=actor,
        verb=f"referendum.{target}",
        target=campaign,
        before=before,
        after=campaign_snapshot(campaign),
    )
    notify_campaign_staff(
        campaign,
        kind=f"referendum.{target}",
        subject=_("Référendum « %(title)s » : %(status)s")
        % {"title": campaign.title_fr, "status": campaign.get_status_display()},
        body=_("La campagne « %(title)s » est passée au statut « %(status)s ».")
        % {"title": campaign.title_fr, "status": campaign.get_status_display()},
    )


def campaign_schedule(*, campaign_id: int, actor: User) -> Campaign:
    _require_manager(actor)
    with transaction.atomic():
        campaign = _get_locked(campaign_id)
        if campaign.status == S.DRAFT:
            if campaign.voting_opens_at <= timezone.now():
                raise RuleViolation(
                    _("La date d'ouverture du vote est déjà passée."), code="calendar_in_past"
                )
            if campaign.kind == CampaignKind.BINDING_REFERENDUM:
                _raise_calendar_violations(campaign)
            if (
                not campaign.whole_city
                and not CampaignDistrict.objects.filter(campaign=campaign).exists()
            ):
                raise RuleViolation(_("Choisissez au moins un quartier."), code="empty_scope")
        _transition(campaign, S.SCHEDULED, actor, scheduled_at=timezone.now())
    return campaign


def campaign_cancel(*, campaign_id: int, actor: User) -> Campaign:
    """Cancelling an open vote discards its ballots unseen: nothing is ever counted."""
    _require_manager(actor)
    from referendums.services.voting import ballots_discard

    with transaction.atomic():
        campaign_lock(campaign_id, shared=False)
        campaign = _get_locked(campaign_id)
        was_voting = campaign.status == S.VOTING
        _transition(campaign, S.CANCELLED, actor, cancelled_at=timezone.now())
        if was_voting and campaign.is_online:
            ballots_discard(campaign=campaign)
    return campaign


def campaign_archive(*, campaign_id: int, actor: User) -> Campaign:
    _require_manager(actor)
    with transaction.atomic():
        campaign = _get_locked(campaign_id)
        _transition(campaign, S.ARCHIVED, actor, archived_at=timezone.now())
    return campaign


def campaign_publish_results(*, campaign_id: int, actor: User) -> Campaign:
    """Closed -> results published. Online: the tally made at the close. Paper: the verdict from
    the counted station sheets (every station of the scope must count)."""
    _require_manager(actor)
    from referendums.services.paper import paper_results

    with transaction.atomic():
        campaign = _get_locked(campaign_id)
        if campaign.status != S.CLOSED:
            raise InvalidTransition(_("Seul un vote clos peut être publié."))
        if not campaign.is_online:
            campaign.results = paper_results(campaign=campaign)
        if campaign.results is None:
            raise Conflict(_("Le dépouillement n'est pas terminé."), code="tally_missing")
        now = timezone.now()
        if not campaign.is_online:
            campaign.results["challenge_deadline"] = (
                timezone.localtime(now).date() + timedelta(days=campaign.challenge_days)
            ).isoformat()
            campaign.save(update_fields=["results"])
        _transition(campaign, S.RESULTS_PUBLISHED, actor, published_at=now)
        webhook_emit(
            event=WebhookEvent.REFERENDUM_RESULTS,
            payload={
                "campaign_id": campaign.pk,
                "title": campaign.title_fr,
                "published_at": now,
                "results_url": settings.SITE_URL
                + reverse("referendums:results", args=[campaign.pk]),
            },
        )
        transaction.on_commit(lambda: results_to_assembly_agenda(campaign_id=campaign.pk))
    return campaign


def results_to_assembly_agenda(*, campaign_id: int) -> int | None:
    """Put a published result on the citizens' assembly's agenda for follow-up (once: the assembly
    refuses a second placement). None when no session has room yet; the daily job tries again."""
    from assembly.interfaces import referendum_result_to_agenda

    campaign = Campaign.objects.get(pk=campaign_id)
    if campaign.status != S.RESULTS_PUBLISHED:
        return None
    return referendum_result_to_agenda(
        referendum_id=campaign.pk,
        title=_("Suites du référendum : %(title)s") % {"title": campaign.title_fr},
        url=reverse("referendums:results", args=[campaign.pk]),
    )


def campaign_transition(*, campaign_id: int, actor: User, action: str) -> Campaign:
    services = {
        "schedule": campaign_schedule,
        "cancel": campaign_cancel,
        "archive": campaign_archive,
        "publish": campaign_publish_results,
    }
    if action not in services:
        raise NotFound(_("Action inconnue."))
    return services[action](campaign_id=campaign_id, actor=actor)


# --- Transitions the clock makes (exactly once, whoever races) --------------------------------


def electorate_freeze(*, campaign: Campaign) -> int:
    """Copy the eligible register entries of the scope into ElectorateMember, once."""
    if campaign.electorate_frozen_at is not None:
        return campaign.electorate_count or 0
    entries = eligible_entries(campaign.predicate, on=campaign.cutoff_date)
    if not campaign.whole_city:
        entries = entries.filter(
            district__in=CampaignDistrict.objects.filter(campaign=campaign).values("district")
        )
    sql, params = entries.order_by().values_list("id", "district_id").query.sql_with_params()
    table = ElectorateMember._meta.db_table
    with connection.cursor() as cursor:
        # One INSERT ... SELECT: the register is read once, in the database.
        cursor.execute(
            f"INSERT INTO {table} (campaign_id, register_entry_id, district_id) "  # noqa: S608
            f"SELECT %s, sub.id, sub.district_id FROM ({sql}) sub",
            [campaign.pk, *params],
        )
    by_district = {
        row["district__code"]: row["n"]
        for row in ElectorateMember.objects.filter(campaign=campaign)
        .values("district__code")
        .annotate(n=Count("id"))
    }
    campaign.electorate_districts = by_district
    campaign.electorate_count = sum(by_district.values())
    campaign.electorate_frozen_at = timezone.now()
    campaign.save(
        update_fields=["electorate_districts", "electorate_count", "electorate_frozen_at"]
    )
    return campaign.electorate_count


def _timed(campaign_id: int, source: str, target: str, time_field: str, **stamps: Any) -> bool:
    now = timezone.now()
    changed = Campaign.objects.filter(
        pk=campaign_id, status=source, **{f"{time_field}__lte": now}
    ).update(status=target, **stamps)
    return bool(changed)


def campaign_open_due(*, campaign_id: int) -> bool:
    """scheduled -> campaign at campaign_opens_at; freezes the electorate (the cut-off is past)."""
    with transaction.atomic():
        if not _timed(campaign_id, S.SCHEDULED, S.CAMPAIGN, "campaign_opens_at"):
            return False
        campaign = Campaign.objects.get(pk=campaign_id)
        electorate_freeze(campaign=campaign)
        _system_audit(campaign, S.SCHEDULED)
    return True


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
            SealingKey.objects.create(campaign=campaign, wrapped_key=new_wrapped_key(campaign.pk))
            TurnoutSlot.objects.bulk_create(
                [
                    TurnoutSlot(campaign=campaign, district_code=code, slot=slot)
                    for code in sorted(campaign.electorate_districts)
                    for slot in range(TURNOUT_SLOTS)
                ],
                ignore_conflicts=True,
            )
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
    from referendums.services.tally import tally_close

    with transaction.atomic():
        campaign_lock(campaign_id, shared=False)  # waits for casts in flight
        now = timezone.now()
        if not _timed(campaign_id, S.VOTING, S.CLOSED, "voting_closes_at", closed_at=now):
            return False
        campaign = Campaign.objects.get(pk=campaign_id)
        if campaign.is_online:
            tally_close(campaign=campaign)
            from referendums.tasks import vacuum_after_close

            vacuum_after_close.delay_on_commit(campaign_id)
        _system_audit(campaign, S.VOTING)
        # Announces the close only: no turnout, no count (the results have their own event).
        webhook_emit(
            event=WebhookEvent.REFERENDUM_CLOSED,
            payload={"campaign_id": campaign.pk, "title": campaign.title_fr, "closed_at": now},
        )
    return True


def _system_audit(campaign: Campaign, source: str) -> None:
    audit_record(
        actor=None,
        verb=f"referendum.{campaign.status}",
        target=campaign,
        before={"status": source},
        after=campaign_snapshot(campaign),
    )
    notify_campaign_staff(
        campaign,
        kind=f"referendum.{campaign.status}",
        subject=_("Référendum « %(title)s » : %(status)s")
        % {"title": campaign.title_fr, "status": campaign.get_status_display()},
        body=_("La campagne « %(title)s » est passée au statut « %(status)s ».")
        % {"title": campaign.title_fr, "status": campaign.get_status_display()},
    )


def campaigns_advance() -> dict[str, int]:
    """The beat job: act on every due deadline; each step is a guarded update (exactly once).
    A campaign whose step is refused (e.g. a drifted turnout counter at the close) stays where it
    is, is reported, and does not hold up the others."""
    now = timezone.now()
    done = {"campaign": 0, "voting": 0, "closed": 0}
    steps = (
        ("campaign", S.SCHEDULED, "campaign_opens_at", campaign_open_due),
        ("voting", S.CAMPAIGN, "voting_opens_at", voting_open_due),
        ("closed", S.VOTING, "voting_closes_at", voting_close_due),
    )
    for name, source, field, step in steps:
        due = Campaign.objects.filter(status=source, **{f"{field}__lte": now}).values_list(
            "pk", flat=True
        )
        for pk in list(due):
            try:
                with transaction.atomic():
                    # Two sweeps running at once (a backlog of beat ticks) share the work rather
                    # than walk the same list in lockstep, each waiting on the other's row.
                    if campaign_sweep_claim(pk):
                        done[name] += step(campaign_id=pk)
            except DomainError as exc:
                logger.error("referendum %s: step %s refused (%s)", pk, name, exc.code)
    if any(done.values()):
        logger.info("referendums advanced: %s", done)
    return done


# --- Material -------------------------------------------------------------------------------


def campaigner_authorise(
    *, campaign_id: int, actor: User, name: str, side: str, description: str = ""
) -> Campaigner:
    _require_manager(actor)
    with transaction.atomic():
        campaign = _get_locked(campaign_id)
        if campaign.status not in {S.DRAFT, S.SCHEDULED, S.CAMPAIGN}:
            raise Conflict(_("La campagne est terminée."), code="campaign_not_editable")
        campaigner, _created = Campaigner.objects.update_or_create(
            campaign=campaign,
            name=name,
            defaults={
                "side": side,
                "description": description,
                "authorised": True,
                "authorised_by": actor,
            },
        )
        audit_record(
            actor=actor,
            verb="referendum.campaigner_authorise",
            target=campaigner,
            after={"name": name, "side": side},
        )
    return campaigner


def argument_set(*, campaigner_id: int, actor: User, text_fr: str, text_en: str = "") -> Argument:
    """Equal space: every side's text has the same maximum length; only authorised campaigners."""
    _require_manager(actor)
    if len(text_fr) > ARGUMENT_MAX_LENGTH or len(text_en) > ARGUMENT_MAX_LENGTH:
        raise RuleViolation(
            _("L'argumentaire dépasse %(n)s caractères.") % {"n": ARGUMENT_MAX_LENGTH},
            code="argument_too_long",
        )
    with transaction.atomic():
        campaigner = (
            Campaigner.objects.select_for_update().select_related("campaign").get(pk=campaigner_id)
        )
        if not campaigner.authorised:
            raise PermissionDenied(
                _("Organisation non habilitée."), code="campaigner_not_authorised"
            )
        if campaigner.campaign.status not in {S.DRAFT, S.SCHEDULED, S.CAMPAIGN}:
            raise Conflict(_("La campagne est terminée."), code="campaign_not_editable")
        argument, _created = Argument.objects.update_or_create(
            campaigner=campaigner, defaults={"text_fr": text_fr, "text_en": text_en}
        )
        audit_record(
            actor=actor,
            verb="referendum.argument_set",
            target=argument,
            after={"campaigner": campaigner.pk, "length": len(text_fr)},
        )
    return argument


def default_campaign_window(vote_date: date) -> datetime:
    """The LO1112-9 campaign opening, for forms that propose it."""
    from referendums.legal_calendar import legal_campaign_opening

    return local_midnight(legal_campaign_opening(vote_date))


def personal_data_purge_due() -> int:
    """Delete who voted (participations) and the frozen electorate of campaigns whose results
    were published more than `retention_days` ago. Counts live in the results and the turnout
    slots, ballots and receipts carry no identity: nothing published changes. Exactly once per
    campaign (guarded update on `personal_data_purged_at`)."""
    now = timezone.now()
    purged = 0
    for campaign in Campaign.objects.filter(
        status__in=[S.RESULTS_PUBLISHED, S.ARCHIVED],
        personal_data_purged_at__isnull=True,
        published_at__isnull=False,
    ).only("pk", "published_at", "retention_days"):
        assert campaign.published_at is not None
        if campaign.published_at + timedelta(days=campaign.retention_days) > now:
            continue
        with transaction.atomic():
            if not Campaign.objects.filter(
                pk=campaign.pk, personal_data_purged_at__isnull=True
            ).update(personal_data_purged_at=now):
                continue
            participations, _detail = Participation.objects.filter(campaign=campaign).delete()
            electors, _detail = ElectorateMember.objects.filter(campaign=campaign).delete()
            audit_record(
                actor=None,
                verb="referendum.personal_data_purge",
                target=campaign,
                after={"participations": participations, "electorate": electors},
            )
        purged += 1
    return purged
