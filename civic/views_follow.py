"""Following what happens: the follow button's target, the resident's follows and e-mail
preferences, and the one-click unsubscribe every notification e-mail links to."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from civic.auth import authenticated_user
from civic.errors import DomainError
from civic.follows import follow_set, follows_of, preference_of, preference_set
from civic.notifications import unsubscribe_user


@login_required
@require_POST
def follow(request: HttpRequest) -> HttpResponse:
    user = authenticated_user(request)
    kind, target = request.POST.get("kind", ""), request.POST.get("id", "")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    following = request.POST.get("action") != "unfollow"
    if not target.isdigit():
        messages.error(request, _("Il n'y a rien à suivre à cette adresse."))
        return redirect(back or "follows")
    try:
        follow_set(user=user, kind=kind, target_id=int(target), following=following)
    except DomainError as exc:
        messages.error(request, str(exc.detail))
        return redirect(back or "follows")
    if following:
        messages.success(
            request,
            _(
                "Vous suivez cette page : vous serez prévenu·e de chaque étape, dans vos messages "
                "et par e-mail selon vos préférences."
            ),
        )
    else:
        messages.success(request, _("Vous ne suivez plus cette page."))
    return redirect(back or "follows")


@login_required
@require_http_methods(["GET", "POST"])
def follows(request: HttpRequest) -> HttpResponse:
    user = authenticated_user(request)
    if request.method == "POST":
        email = request.POST.get("email") == "on"
        preference_set(user=user, email=email, daily_digest=request.POST.get("digest") == "on")
        messages.success(request, _("Vos préférences sont enregistrées."))
        return redirect("follows")
    return render(
        request,
        "civic/follows.html",
        {"follows": follows_of(user), "preference": preference_of(user)},
    )


@csrf_exempt  # the signed link is the credential: mail clients post to it without a session
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    user = unsubscribe_user(token)
    if user is None:
        return render(request, "civic/unsubscribe.html", {"invalid": True}, status=404)
    if request.method == "POST":
        preference = preference_of(user)
        preference_set(user=user, email=False, daily_digest=preference.daily_digest)
        return render(request, "civic/unsubscribe.html", {"done": True})
    return render(request, "civic/unsubscribe.html", {"token": token})
