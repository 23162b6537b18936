"""Signing pages: sign and withdraw (plain POST forms, rate-limited like the API), my signatures."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civic.api.throttling import ScopedRateThrottle
from civic.client_ip import client_ip_or_none
from petitions import selectors, services
from petitions.rules import initiative_collection_open
from petitions.views._common import run_service, user_of


class _SignScope:
    throttle_scope = "sign"


def _throttled(request: HttpRequest) -> bool:
    """The API's "sign" rate limit applies to the page forms too."""
    throttle = ScopedRateThrottle()
    if throttle.allow_request(request, _SignScope()):
        return False
    messages.error(request, _("Trop de tentatives : réessayez dans une minute."))
    return True


@login_required
@require_POST
def initiative_sign(request: HttpRequest, pk: int) -> HttpResponse:
    if _throttled(request):
        return redirect("petitions:detail", pk=pk)
    run_service(
        request,
        _(
            "Votre signature est enregistrée. Elle apparaîtra dans le compteur à la prochaine mise à jour."
        ),
        lambda: services.signature_sign(
            initiative_id=pk, user=user_of(request), ip=client_ip_or_none(request)
        ),
    )
    return redirect("petitions:detail", pk=pk)


@login_required
@require_POST
def initiative_unsign(request: HttpRequest, pk: int) -> HttpResponse:
    if _throttled(request):
        return redirect("petitions:detail", pk=pk)
    run_service(
        request,
        _("Votre signature est retirée."),
        lambda: services.signature_withdraw(initiative_id=pk, user=user_of(request)),
    )
    return redirect("petitions:detail", pk=pk)


@login_required
def my_signatures(request: HttpRequest) -> HttpResponse:
    signatures = selectors.signatures_of(user=user_of(request))[:500]
    now = timezone.now()
    rows = [
        {
            "signature": s,
            "can_withdraw": initiative_collection_open(s.initiative, now=now),
        }
        for s in signatures
    ]
    return render(request, "petitions/my_signatures.html", {"rows": rows})
