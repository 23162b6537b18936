"""Reads: campaign lists, turnout, published results, and the hooks the core calls."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.errors import Conflict, NotFound
from civic.models import District, User
from referendums import rules, workflow
from referendums.models import (
    Campaign,
    Campaigner,
    CampaignStatus,
    ElectorateMember,
    Option,
    Participation,
    Question,
)
from referendums.services.tally import participations_by_district, suppress_cells


def campaign_list(*, viewer: Any, status: str | None = None) -> QuerySet[Campaign]:
    campaigns = Campaign.objects.all()
    if not rules.may_see_drafts(viewer):
        campaigns = campaigns.filter(status__in=workflow.PUBLIC)
    if status:
        campaigns = campaigns.filter(status=status)
    return campaigns.defer("results", "dossier_fr", "dossier_en").order_by(
        "-voting_opens_at", "-id"
    )


def campaign_get(*, viewer: Any, campaign_id: int, detail: bool = True) -> Campaign:
    campaigns = Campaign.objects.all()
    if detail:
        campaigns = campaigns.prefetch_related(
            Prefetch(
                "questions",
                queryset=Question.objects.prefetch_related(
                    Prefetch("options", queryset=Option.objects.order_by("position", "id"))
                ),
            ),
            Prefetch(
                "campaigners",
                queryset=Campaigner.objects.filter(authorised=True).select_related("argument"),
            ),
            "documents",
            "districts",
        )
    campaign = campaigns.filter(pk=campaign_id).first()
    if campaign is None or not rules.may_view(viewer, campaign):
        raise NotFound(_("Campagne introuvable."))
    return campaign


def arguments_by_side(campaign: Campaign) -> dict[str, list[Campaigner]]:
    sides: dict[str, list[Campaigner]] = {"for": [], "against": []}
    for campaigner in campaign.campaigners.all():
        sides.setdefault(campaigner.side, []).append(campaigner)
    return sides


def turnout(*, campaign: Campaign) -> dict[str, Any]:
    """Participations only: never anything about what was voted. Districts below the threshold
    are suppressed (with a second cell, so the city total does not give them away)."""
    by_district = participations_by_district(campaign)
    participations = sum(by_district.values())
    electorate = campaign.electorate_districts or {}
    hidden = suppress_cells(
        {code: {"p": by_district.get(code, 0)} for code in electorate},
        threshold=settings.SMALL_CELL_THRESHOLD,
    )
    total = campaign.electorate_count or 0
    return {
        "status": campaign.status,
        "electorate": total,
        "participations": participations,
        "turnout_percent": round(100 * participations / total, 2) if total else None,
        "districts": [
            {
                "code": code,
                "electorate": electorate[code],
                "participations": None if (code, "p") in hidden else by_district.get(code, 0),
                "suppressed": (code, "p") in hidden,
            }
            for code in sorted(electorate)
        ],
        "small_cell_threshold": settings.SMALL_CELL_THRESHOLD,
    }


def results_get(*, campaign: Campaign) -> dict[str, Any]:
    if campaign.status not in workflow.RESULTS_VISIBLE or campaign.results is None:
        raise Conflict(_("Les résultats ne sont pas encore publiés."), code="results_not_published")
    results = dict(campaign.results)
    results.pop("header", None)
    results["published_at"] = campaign.published_at
    results["results_digest"] = campaign.results_digest or None
    return results


def ballot_box_ready(*, campaign: Campaign) -> None:
    if not campaign.is_online:
        raise NotFound(_("Un scrutin papier n'a pas d'urne électronique."), code="no_ballot_box")
    if campaign.status not in workflow.BALLOT_BOX_VISIBLE or campaign.results is None:
        raise Conflict(
            _("L'urne est publiée après la clôture du vote."), code="ballot_box_not_ready"
        )


# --- Hooks called by the core ------------------------------------------------------------------


def home_section(request: HttpRequest) -> dict[str, Any] | None:
    now = timezone.now()
    open_now = Campaign.objects.filter(
        status__in=[CampaignStatus.CAMPAIGN, CampaignStatus.VOTING]
    ).order_by("voting_closes_at")[:10]
    items = []
    for campaign in open_now:
        if rules.voting_open(campaign, now):
            note = _("vote ouvert jusqu'au %(date)s") % {
                "date": timezone.localtime(campaign.voting_closes_at).strftime("%d/%m/%Y %H:%M")
            }
        else:
            note = _("campagne en cours, vote le %(date)s") % {
                "date": timezone.localtime(campaign.voting_opens_at).strftime("%d/%m/%Y")
            }
        items.append(
            {
                "title": campaign.title,
                "url": reverse("referendums:detail", args=[campaign.pk]),
                "note": note,
            }
        )
    return {
        "title": _("Référendums et votations"),
        "items": items,
        "empty": _("Aucun vote en cours."),
    }


def personal_data_export(*, user: User) -> dict[str, Any]:
    """Whether and when the resident voted. What they voted is not linked to them anywhere.
    While the vote is open, not when: a coercer looking over the resident's shoulder (or holding
    their password) would read from the time whether they voted again after a supervised vote."""
    if user.register_entry_id is None:
        return {"participations": []}
    return {
        "participations": [
            {
                "campaign": row["campaign_id"],
                "title": row["campaign__title_fr"],
                "voted_at": None
                if row["campaign__status"] == CampaignStatus.VOTING
                else row["voted_at"],
            }
            for row in Participation.objects.filter(register_entry_id=user.register_entry_id)
            .values("campaign_id", "campaign__title_fr", "campaign__status", "voted_at")
            .order_by("campaign_id")
        ],
        "note": _("Le contenu de votre vote n'est relié à votre identité nulle part."),
    }


# Why a person cannot vote on this campaign now, for the page's action area (None: they may).
# The window and the electorate are `rules.vote_refusal`'s codes; the page adds who is asking
# (the service refuses the same people: a cast needs a verified account, `voting._voter_entry`).
ANONYMOUS = "anonymous"
NOT_VERIFIED = "not_verified"
STAFF_ACCOUNT = "staff_account"
NOT_YET_OPEN = "not_yet_open"
VOTING_CLOSED = "voting_closed"


def vote_standing(*, campaign: Campaign, user: Any, now: Any) -> str | None:
    """The first reason this person may not vote here now, window first (the same for all)."""
    if not campaign.is_online:
        return rules.NOT_ONLINE
    if not rules.voting_open(campaign, now):
        return NOT_YET_OPEN if campaign.status in workflow.BEFORE_VOTING else VOTING_CLOSED
    if not user.is_authenticated:
        return ANONYMOUS
    if not user.is_verified:
        # Agents' accounts are not linked to the register: they vote, as residents, with their own.
        return STAFF_ACCOUNT if user.is_staff else NOT_VERIFIED
    in_electorate = ElectorateMember.objects.filter(
        campaign=campaign, register_entry_id=user.register_entry_id
    ).exists()
    return rules.vote_refusal(campaign, now, in_electorate=in_electorate)


def results_for_page(*, campaign: Campaign, english: bool) -> dict[str, Any]:
    """The published results as the page shows them: question texts and option labels in the
    reader's language, each option's share of the votes for its question (of yes and no, the votes
    cast, on paper), and district names and option labels in the district tables (the stored
    results keep codes and keys). One query, for the district names."""
    data = results_get(campaign=campaign)
    labels: dict[tuple[str, str], str] = {}
    texts: dict[str, str] = {}
    for position, question in enumerate(data.get("questions", []), start=1):
        question["text"] = (english and question.get("text_en")) or question["text_fr"]
        question["position"] = position
        texts[str(question["id"])] = question["text"]
        total = sum(o["count"] for o in question["options"])
        question["total"] = total
        for option in question["options"]:
            option["label"] = (english and option.get("label_en")) or option["label_fr"]
            option["percent"] = round(100 * option["count"] / total, 1) if total else 0
            labels[(str(question["id"]), option["key"])] = option["label"]
        top = max((o["count"] for o in question["options"]), default=0)
        leaders = [o for o in question["options"] if o["count"] == top]
        question["leader"] = leaders[0] if total and len(leaders) == 1 else None
    codes = [d.get("code") for d in data.get("districts", [])]
    names = dict(District.objects.filter(code__in=codes).values_list("code", "name"))
    for district in data.get("districts", []):
        district["name"] = names.get(district.get("code"), district.get("code"))
        for question in district.get("questions", []):
            question["text"] = texts.get(str(question.get("id")), "")
            for option in question.get("options", []):
                option["label"] = labels.get(
                    (str(question.get("id")), option["key"]), option["key"]
                )
    if data.get("method") == "paper":
        cast = data.get("votes_cast") or 0
        for side in ("yes", "no"):
            data[f"{side}_percent"] = round(100 * data[side] / cast, 1) if cast else 0
    data["any_suppressed"] = any(
        o.get("suppressed")
        for d in data.get("districts", [])
        for q in d.get("questions", [])
        for o in q.get("options", [])
    )
    return data


# Read by the dashboards

# This section stands apart (appended whole, the code above may change): it imports what it
# uses itself, names the module above may import too (hence F811, RUF100 where they do not).
import logging as _logging  # noqa: E402, F811, RUF100
from typing import Any  # noqa: E402, F811, RUF100

from django.db.models import QuerySet  # noqa: E402, F811, RUF100

from referendums import models as _dash  # noqa: E402, F811, RUF100

_dashboard_logger = _logging.getLogger("dashboards.services.documents")


def dashboard_campaign_status_labels() -> dict[str, str]:
    """A campaign's status as the public reads it (the statistics documents keep the key)."""
    return {value: str(label) for value, label in _dash.CampaignStatus.choices}


def dashboard_campaigns() -> list[dict[str, Any]]:
    """The campaigns a public dashboard shows (voting or later), newest first: turnout, and the
    results once the city has published them (never a partial result). A campaign this app
    refuses to describe is left out (and logged)."""
    shown = [
        _dash.CampaignStatus.VOTING,
        _dash.CampaignStatus.CLOSED,
        _dash.CampaignStatus.RESULTS_PUBLISHED,
        _dash.CampaignStatus.ARCHIVED,
    ]
    published = (_dash.CampaignStatus.RESULTS_PUBLISHED, _dash.CampaignStatus.ARCHIVED)
    out = []
    query = _dash.Campaign.objects.filter(status__in=shown).order_by("-voting_opens_at", "-id")
    for campaign in query:
        entry: dict[str, Any] = {
            "id": campaign.pk,
            "title": campaign.title_fr,
            "status": campaign.status,
            "voting_opens_at": campaign.voting_opens_at,
            "voting_closes_at": campaign.voting_closes_at,
            "turnout": None,
            "results": None,
        }
        try:
            entry["turnout"] = turnout(campaign=campaign)
            if campaign.status in published:
                entry["results"] = results_get(campaign=campaign)
        except Exception:
            _dashboard_logger.exception("referendum %s left out of the dashboard", campaign.pk)
            continue
        out.append(entry)
    return out


def dashboard_published_campaigns() -> QuerySet[Any]:
    """Campaigns whose results are published (or archived since)."""
    return _dash.Campaign.objects.filter(
        status__in=[_dash.CampaignStatus.RESULTS_PUBLISHED, _dash.CampaignStatus.ARCHIVED]
    )


def dashboard_station_results() -> QuerySet[Any]:
    """The agreed or resolved paper results of published campaigns, by campaign and station."""
    return (
        _dash.StationResult.objects.filter(
            campaign__in=dashboard_published_campaigns(),
            status__in=[_dash.StationStatus.AGREED, _dash.StationStatus.RESOLVED],
        )
        .select_related("station__district")
        .order_by("campaign_id", "station__code")
    )


def retention_periods() -> list[dict[str, Any]]:
    """For the privacy notice: the period each campaign not yet purged applies (the field that
    `personal_data_purge_due` reads), and the default a new campaign gets."""
    default = Campaign._meta.get_field("retention_days").get_default()
    periods = [
        {
            "key": "referendums:default",
            "what": _("Listes d'émargement et corps électoral figé d'un vote"),
            "days": default,
            "starts": _("après la publication des résultats (durée par défaut)"),
        }
    ]
    for campaign in Campaign.objects.filter(personal_data_purged_at__isnull=True).order_by("pk"):
        periods.append(
            {
                "key": f"referendums:{campaign.pk}",
                "what": _("Listes d'émargement : %(title)s") % {"title": campaign.title},
                "days": campaign.retention_days,
                "starts": _("après la publication des résultats"),
            }
        )
    return periods
