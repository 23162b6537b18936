"""Pages: list, detail, the vote (no JavaScript, a confirmation step, then a redirect to the
receipt), receipt check and results."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from civic.errors import DomainError
from civic.http_cache import public_page
from civic.pdf import document_link, document_response
from civic.roles import Role, has_role
from referendums import receipt_cookie, rules, selectors, stations, workflow
from referendums.forms import EntryForm, ReceiptForm, ResolveForm, StationFinderForm, VoteForm
from referendums.legal_calendar import legal_campaign_opening
from referendums.models import Campaign, CampaignKind, ResultSheet, StationResult
from referendums.results_pdf import results_document
from referendums.services import paper as paper_services
from referendums.services import receipts as receipt_services
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
def polling_stations(request: HttpRequest) -> HttpResponse:
    """Where do I vote? By street or district; a plain GET form, the same page for everyone."""
    form = StationFinderForm(request.GET or None)
    searched = form.is_valid() and any(form.cleaned_data.values())
    found = (
        stations.stations_find(
            query=form.cleaned_data["q"], district_code=form.cleaned_data["district"]
        )
        if searched
        else []
    )
    return render(
        request,
        "referendums/polling_stations.html",
        {"form": form, "searched": searched, "stations": found},
    )


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
        "turnout": selectors.turnout(campaign=campaign)
        if campaign.is_online and campaign.status not in workflow.BEFORE_VOTING
        else None,
        "results_published": campaign.status in workflow.RESULTS_VISIBLE,
        **_action_context(request, campaign),
        "staff_sheets": not campaign.is_online
        and has_role(request.user, Role.CAMPAIGN_MANAGER, Role.AUDITOR),
    }
    return render(request, "referendums/detail.html", context)


def _action_context(request: HttpRequest, campaign: Campaign) -> dict[str, Any]:
    """The action area's facts: why this visitor may not vote now (None: they may), and whether
    they voted already (only asked of someone who may vote)."""
    standing = selectors.vote_standing(campaign=campaign, user=request.user, now=timezone.now())
    return {
        "standing": standing,
        "has_voted": standing is None
        and voting_services.has_participated(campaign_id=campaign.pk, user=request.user),  # type: ignore[arg-type]
    }


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def vote(request: HttpRequest, pk: int) -> HttpResponse:
    """Choose, confirm, cast; the cast redirects to the receipt page (post/redirect/get). The form
    is shown only to someone who may vote now; anyone else reads why, and what to do."""
    campaign = _campaign(request, pk)
    if not campaign.is_online:
        raise Http404
    action = _action_context(request, campaign)
    context: dict[str, Any] = {"campaign": campaign, "error": None, **action}
    if action["standing"] is not None:
        return render(request, "referendums/vote.html", context)
    form = VoteForm(request.POST or None, campaign=campaign)
    context["form"] = form
    step = request.POST.get("step", "choose")
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
                context["error"] = str(exc.detail)
            else:
                response = redirect("referendums:vote-receipt", pk=pk)
                receipt_cookie.remember(
                    response, request, pk, receipt_cookie.Shown(result.receipt, result.revote)
                )
                return response
    return render(request, "referendums/vote.html", context)


@never_cache
@login_required
@require_http_methods(["GET"])
def vote_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """The receipt of this voter's last cast in this browser, as long as it can be checked. Only
    the voter's own signed cookie holds it (referendums/receipt_cookie.py): a reload casts nothing,
    and no one else (another account, another campaign) can read it."""
    campaign = _campaign(request, pk)
    if not campaign.is_online:
        raise Http404
    shown, expired = receipt_cookie.read(request, pk)
    return render(
        request,
        "referendums/vote_receipt.html",
        {
            "campaign": campaign,
            "shown": shown,
            "expired": expired,
            "checkable": shown is not None and rules.voting_open(campaign, timezone.now()),
            "receipt_minutes": settings.RECEIPT_CHECK_MINUTES,
            "receipt_limit": settings.RECEIPT_CHECK_LIMIT,
        },
        status=200 if shown is not None or expired else 404,
    )


@never_cache
@login_required
@require_http_methods(["POST"])
def vote_receipt_email(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the receipt on the page to the voter's own address, once per receipt."""
    campaign = _campaign(request, pk)
    shown, _expired = receipt_cookie.read(request, pk)
    if shown is None:
        raise Http404
    response = redirect("referendums:vote-receipt", pk=pk)
    if shown.emailed:
        messages.info(request, _("Ce récépissé vous a déjà été envoyé."))
        return response
    try:
        receipt_services.receipt_email(
            user=request.user,  # type: ignore[arg-type]
            campaign=campaign,
            code=shown.code,
            check_url=reverse("referendums:receipt", args=[pk]),
        )
    except DomainError as exc:
        messages.error(request, str(exc.detail))
        return response
    receipt_cookie.remember(response, request, pk, shown._replace(emailed=True))
    messages.success(
        request,
        _("Le récépissé est envoyé à %(email)s.") % {"email": request.user.email},  # type: ignore[union-attr]
    )
    return response


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


def _published_results(campaign: Campaign) -> dict[str, Any] | None:
    if campaign.status not in workflow.RESULTS_VISIBLE:
        return None
    english = (get_language() or "fr").startswith("en")
    return selectors.results_for_page(campaign=campaign, english=english)


@public_page
def results(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    data = _published_results(campaign)
    pdf = None
    if data is not None:
        pdf = document_link(
            results_document(campaign, data), reverse("referendums:results-pdf", args=[pk])
        )
    return render(
        request,
        "referendums/results.html",
        {
            "campaign": campaign,
            "results": data,
            "results_pdf": pdf,
            "binding": campaign.kind == CampaignKind.BINDING_REFERENDUM,
            "advisory": campaign.kind == CampaignKind.ADVISORY_CONSULTATION,
        },
    )


@public_page
def results_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The results page as a PDF: public exactly when the page shows the results to everyone."""
    campaign = _campaign(request, pk)
    data = _published_results(campaign)
    if data is None:
        raise Http404
    return document_response(results_document(campaign, data))


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
