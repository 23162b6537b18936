"""Pages: list, detail, the vote (no JavaScript, a confirmation step, then the receipt), receipt
check and results."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from civic.errors import DomainError
from civic.http_cache import public_page
from civic.roles import Role, has_role
from referendums import rules, selectors, workflow
from referendums.forms import EntryForm, ReceiptForm, ResolveForm, VoteForm
from referendums.legal_calendar import legal_campaign_opening
from referendums.models import Campaign, CampaignKind, ResultSheet, StationResult
from referendums.services import paper as paper_services
from referendums.services import voting as voting_services


def _campaign(request: HttpRequest, pk: int) -> Campaign:
    try:
        return selectors.campaign_get(viewer=request.user, campaign_id=pk)
    except DomainError as exc:
        raise Http404 from exc


@public_page
def campaign_list(request: HttpRequest) -> HttpResponse:
    campaigns = selectors.campaign_list(viewer=request.user)[:200]
    return render(request, "referendums/list.html", {"campaigns": campaigns})


@public_page
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    vote_date = timezone.localtime(campaign.voting_opens_at).date()
    context = {
        "campaign": campaign,
        "sides": selectors.arguments_by_side(campaign),
        "binding": campaign.kind == CampaignKind.BINDING_REFERENDUM,
        "advisory": campaign.kind == CampaignKind.ADVISORY_CONSULTATION,
        "legal_campaign_opening": legal_campaign_opening(vote_date),
        "voting_open": rules.voting_open(campaign, timezone.now()),
        "turnout": selectors.turnout(campaign=campaign)
        if campaign.is_online and campaign.status not in workflow.BEFORE_VOTING
        else None,
        "results_published": campaign.status in workflow.RESULTS_VISIBLE,
        "has_voted": voting_services.has_participated(campaign_id=pk, user=request.user),  # type: ignore[arg-type]
        "staff_sheets": not campaign.is_online
        and has_role(request.user, Role.CAMPAIGN_MANAGER, Role.AUDITOR),
    }
    return render(request, "referendums/detail.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def vote(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    if not campaign.is_online:
        raise Http404
    form = VoteForm(request.POST or None, campaign=campaign)
    step = request.POST.get("step", "choose")
    error = None
    if request.method == "POST" and form.is_valid():
        if step == "confirm":
            return render(
                request, "referendums/vote_confirm.html", {"campaign": campaign, "form": form}
            )
        if step == "cast":
            try:
                result = voting_services.ballot_cast(
                    campaign_id=pk,
                    user=request.user,  # type: ignore[arg-type]
                    choices=form.choices(),
                )
            except DomainError as exc:
                error = str(exc.detail)
            else:
                # The receipt is shown once and never stored in clear: no redirect, no cache.
                return render(
                    request,
                    "referendums/vote_receipt.html",
                    {
                        "campaign": campaign,
                        "receipt": result.receipt,
                        "revote": result.revote,
                        "receipt_minutes": settings.RECEIPT_CHECK_MINUTES,
                        "receipt_limit": settings.RECEIPT_CHECK_LIMIT,
                    },
                )
    return render(
        request,
        "referendums/vote.html",
        {
            "campaign": campaign,
            "form": form,
            "error": error,
            "has_voted": voting_services.has_participated(campaign_id=pk, user=request.user),  # type: ignore[arg-type]
        },
    )


@require_http_methods(["GET", "POST"])
def receipt_check(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    form = ReceiptForm(request.POST or None)
    outcome = None
    if request.method == "POST" and form.is_valid():
        try:
            outcome = voting_services.receipt_check(
                campaign_id=pk, code=form.cleaned_data["receipt"]
            )
        except DomainError as exc:
            form.add_error(None, str(exc.detail))
    return render(
        request,
        "referendums/receipt_check.html",
        {
            "campaign": campaign,
            "form": form,
            "outcome": outcome,
            "receipt_minutes": settings.RECEIPT_CHECK_MINUTES,
            "receipt_limit": settings.RECEIPT_CHECK_LIMIT,
        },
    )


@public_page
def results(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    data = None
    if campaign.status in workflow.RESULTS_VISIBLE:
        data = selectors.results_get(campaign=campaign)
        english = (get_language() or "fr").startswith("en")
        for question in data.get("questions", []):
            question["text"] = (english and question.get("text_en")) or question["text_fr"]
            for option in question["options"]:
                option["label"] = (english and option.get("label_en")) or option["label_fr"]
    return render(request, "referendums/results.html", {"campaign": campaign, "results": data})


@login_required
@require_http_methods(["GET", "POST"])
def staff_sheets(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff: key the result sheets of a paper referendum (twice, by two people) and resolve
    discrepancies. Auditors read."""
    if not has_role(request.user, Role.CAMPAIGN_MANAGER, Role.AUDITOR):
        raise PermissionDenied
    campaign = _campaign(request, pk)
    if campaign.is_online:
        raise Http404
    stations = paper_services.stations_for(campaign)
    choices = [(s.code, f"{s.code} — {s.name}") for s in stations]
    may_key = has_role(request.user, Role.CAMPAIGN_MANAGER)
    action = request.POST.get("action")
    entry_form = EntryForm(
        request.POST if action == "enter" else None, stations=choices, prefix="enter"
    )
    resolve_form = ResolveForm(
        request.POST if action == "resolve" else None, stations=choices, prefix="resolve"
    )
    if request.method == "POST":
        if not may_key:
            raise PermissionDenied
        form = entry_form if action == "enter" else resolve_form
        if form.is_valid():
            try:
                if action == "enter":
                    paper_services.sheet_enter(
                        campaign_id=pk,
                        station_code=form.cleaned_data["station"],
                        actor=request.user,  # type: ignore[arg-type]
                        figures=form.figures(),
                        registered_note=form.cleaned_data.get("registered_note", ""),
                    )
                else:
                    paper_services.station_resolve(
                        campaign_id=pk,
                        station_code=form.cleaned_data["station"],
                        actor=request.user,  # type: ignore[arg-type]
                        figures=form.figures(),
                        note=form.cleaned_data["note"],
                    )
            except DomainError as exc:
                form.add_error(None, str(exc.detail))
            else:
                messages.success(request, _("Saisie enregistrée."))
                return redirect("referendums:staff-sheets", pk=pk)
    results = {r.station_id: r for r in StationResult.objects.filter(campaign=campaign)}
    sheets: dict[int, list[ResultSheet]] = {}
    for sheet in ResultSheet.objects.filter(campaign=campaign).order_by("entry_number"):
        sheets.setdefault(sheet.station_id, []).append(sheet)
    rows = [(s, results.get(s.pk), sheets.get(s.pk, [])) for s in stations]
    return render(
        request,
        "referendums/staff_sheets.html",
        {
            "campaign": campaign,
            "rows": rows,
            "entry_form": entry_form,
            "resolve_form": resolve_form,
            "may_key": may_key,
        },
    )
