"""The desk's page for closing a near-miss request without verifying the account
(civic.services.desk): the queue itself is the desk verification page (civic.views.desk_verify)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from civic.auth import authenticated_user
from civic.errors import DomainError
from civic.forms import DeskCloseForm
from civic.models import DeskRequest
from civic.roles import has_role
from civic.services.desk import DESK_ROLES, desk_request_close


@login_required
@require_http_methods(["GET", "POST"])
def desk_request_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    if not has_role(request.user, *DESK_ROLES):
        raise PermissionDenied
    desk_request = DeskRequest.objects.select_related("user").filter(pk=pk).first()
    form = DeskCloseForm(request.POST or None)
    status = 200
    if desk_request is None:
        status = 404
    elif request.method == "POST" and form.is_valid():
        try:
            desk_request_close(
                agent=authenticated_user(request),
                request_id=desk_request.pk,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc.detail))
            status = exc.status
        else:
            messages.success(
                request, _("Demande close. Le résident est prévenu, avec le motif et la suite.")
            )
            return redirect("staff-desk-verify")
    elif request.method == "POST":
        status = 400
    if desk_request is not None and desk_request.closed_at is not None and status == 200:
        status = 409
    return render(
        request,
        "civic/desk_close.html",
        {"form": form, "desk_request": desk_request},
        status=status,
    )
