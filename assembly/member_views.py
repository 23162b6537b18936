"""The members' space: a drawn member's sessions ahead and behind, what is on the agendas, the
documents, and the absence notice. Private to the member (never cached as a public page)."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from assembly import selectors
from assembly.services import absence
from civic.errors import DomainError
from civic.models import User


@login_required
@require_http_methods(["GET", "POST"])
def member_space(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    member = absence.member_of(user)
    if member is None:
        return render(request, "assembly/member_space_none.html", status=403)
    if request.method == "POST":
        return _absence_post(request, user)
    return render(request, "assembly/member_space.html", selectors.member_space(member))


def _absence_post(request: HttpRequest, user: User) -> HttpResponse:
    session_id = request.POST.get("session", "")
    if not session_id.isdigit():
        messages.error(request, _("Choisissez une séance."))
        return redirect("assembly:member-space")
    try:
        if request.POST.get("action") == "withdraw":
            absence.absence_withdraw(session_id=int(session_id), user=user)
            messages.success(request, _("Votre absence est retirée : vous êtes attendu·e."))
        else:
            absence.absence_notify(
                session_id=int(session_id), user=user, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("Le greffe est prévenu de votre absence."))
    except DomainError as error:
        messages.error(request, str(error.detail))
    return redirect("assembly:member-space")
