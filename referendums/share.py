"""A campaign's share cards (civic.share): the vote's dates before the results, the published
figures after. Public facts only (a card never shows a figure before the results are published),
so public pages."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from civic.errors import DomainError
from civic.http_cache import public_page
from civic.share import share_card
from referendums import selectors, workflow
from referendums.models import Campaign


def _public_campaign(pk: int) -> Campaign:
    try:
        # As an anonymous reader sees it, whoever asks: a card is shared beyond its sender.
        return selectors.campaign_get(viewer=AnonymousUser(), campaign_id=pk, detail=False)
    except DomainError as exc:
        raise Http404 from exc


def _card(campaign: Campaign, lines: list[str]) -> HttpResponse:
    card = share_card(kicker=campaign.get_kind_display(), title=campaign.tr("title"), lines=lines)
    return HttpResponse(card, content_type="image/png")


def _percent(label: str, value: Any) -> str:
    return _("%(label)s : %(percent)s %%") % {
        "label": label,
        "percent": number_format(value or 0, decimal_pos=1),
    }


@public_page
@require_GET
def campaign_share_image(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _public_campaign(pk)
    opens = date_format(timezone.localtime(campaign.voting_opens_at), "DATE_FORMAT")
    closes = date_format(timezone.localtime(campaign.voting_closes_at), "DATE_FORMAT")
    lines = [_("Vote du %(start)s au %(end)s") % {"start": opens, "end": closes}]
    if campaign.status in workflow.RESULTS_VISIBLE:
        lines.append(_("Résultats publiés"))
    return _card(campaign, lines)


@public_page
@require_GET
def results_share_image(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _public_campaign(pk)
    if campaign.status not in workflow.RESULTS_VISIBLE:
        raise Http404  # no figure, not even a blank one, before the results are published
    english = (get_language() or "fr").startswith("en")
    results = selectors.results_for_page(campaign=campaign, english=english)
    if results.get("method") == "paper":
        lines = [
            _percent(_("Oui"), results.get("yes_percent")),
            _percent(_("Non"), results.get("no_percent")),
            _percent(_("Participation"), results.get("turnout_percent")),
        ]
    else:
        questions = results.get("questions") or [{}]
        lines = [_percent(o["label"], o["percent"]) for o in questions[0].get("options", [])[:3]]
    return _card(campaign, lines)
