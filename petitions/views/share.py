"""An initiative's share card (civic.share): its title, its published count and its collection
dates, for the page's Open Graph image. Public facts only, so a public page."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from civic.errors import NotFound
from civic.http_cache import public_page
from civic.share import share_card
from petitions import selectors
from petitions.models import Initiative, Status
from petitions.rules import listed_q


def _lines(initiative: Initiative) -> list[str]:
    try:
        total = selectors.initiative_count(initiative_id=initiative.pk).total
    except NotFound:
        total = 0
    lines = [
        ngettext("%(n)s signature", "%(n)s signatures", total)
        % {"n": number_format(total, force_grouping=True)}
    ]
    if initiative.status == Status.COLLECTING and initiative.closes_at:
        day = date_format(timezone.localtime(initiative.closes_at), "DATE_FORMAT")
        lines.append(_("Signatures ouvertes jusqu'au %(date)s") % {"date": day})
    else:
        lines.append(str(initiative.get_status_display()))
    return lines


@public_page
@require_GET
def initiative_share_image(request: HttpRequest, pk: int) -> HttpResponse:
    # As an anonymous reader sees it, whoever asks: a card is shared beyond its sender.
    initiative = (
        selectors.visible_initiatives(AnonymousUser())
        .filter(pk=pk)
        .filter(listed_q())
        .only("id", "title", "status", "closes_at")
        .first()
    )
    if initiative is None:
        raise Http404
    card = share_card(
        kicker=_("Initiative citoyenne"), title=initiative.title, lines=_lines(initiative)
    )
    return HttpResponse(card, content_type="image/png")
