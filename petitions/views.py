"""Pages, server-rendered; every essential path (sign, withdraw) is a plain POST form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from civic.api.throttling import ScopedRateThrottle
from civic.errors import DomainError, NotFound
from civic.models import RegisterEntry, User
from petitions import selectors, services
from petitions.forms import (
    InitiativeFilterForm,
    InitiativeForm,
    InviteForm,
    ObligationDoneForm,
    ObligationFilterForm,
    PaperForm,
    RejectForm,
)
from petitions.models import (
    TOTAL_TRACK,
    Initiative,
    ObligationStatus,
    PaperRejectionReason,
    Status,
)
from petitions.rules import is_initiator, is_moderator
from petitions.services.initiatives import promoters_cosigned, promoters_needed
from petitions.workflow import can_transition


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _get(request: HttpRequest, pk: int) -> Initiative:
    try:
        return selectors.initiative_get(initiative_id=pk, viewer=request.user)
    except NotFound:
        raise Http404 from None


def _act(request: HttpRequest, success: str, action: Callable[[], Any]) -> bool:
    """Run a service; a domain refusal becomes a message (never a 500)."""
    try:
        action()
    except DomainError as exc:
        detail = str(exc.detail)
        messages.error(request, f"{detail} ({exc.rule})" if exc.rule else detail)
        return False
    messages.success(request, success)
    return True


def initiative_list(request: HttpRequest) -> HttpResponse:
    form = InitiativeFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    query = selectors.initiative_list(viewer=request.user, filters=filters)
    page = Paginator(query, 20).get_page(request.GET.get("page"))
    rows = [_summary(i) for i in page.object_list]
    querystring = request.GET.copy()
    querystring.pop("page", None)
    return render(
        request,
        "petitions/list.html",
        {"form": form, "page": page, "rows": rows, "querystring": querystring.urlencode()},
    )


def _summary(initiative: Initiative) -> dict[str, Any]:
    counts = selectors.counts_of(initiative)
    return {
        "initiative": initiative,
        "signatures": counts.get(TOTAL_TRACK),
        "tracks": [(t, counts.get(t.position)) for t in initiative.tracks.all()],
    }


def _time_left(initiative: Initiative) -> str | None:
    if initiative.status != Status.COLLECTING or initiative.closes_at is None:
        return None
    left = initiative.closes_at - timezone.now()
    if left.total_seconds() <= 0:
        return _("La collecte est close.")
    if left.days >= 1:
        return ngettext("%(days)s jour restant", "%(days)s jours restants", left.days) % {
            "days": left.days
        }
    hours = max(1, int(left.total_seconds() // 3600))
    return ngettext("%(hours)s heure restante", "%(hours)s heures restantes", hours) % {
        "hours": hours
    }


def initiative_detail(request: HttpRequest, pk: int) -> HttpResponse:
    initiative = _get(request, pk)
    counts = selectors.counts_of(initiative)
    now = timezone.now()
    tracks = []
    for track in initiative.tracks.all():
        count = counts.get(track.position, 0)
        rungs = []
        for rung in track.rungs.all():
            obligation = getattr(rung, "obligation", None)
            rungs.append(
                {
                    "rung": rung,
                    "obligation": obligation,
                    "overdue": obligation is not None
                    and obligation.status == ObligationStatus.OPEN
                    and obligation.due_at < now,
                }
            )
        next_rung = next((rung for rung in track.rungs.all() if rung.reached_at is None), None)
        tracks.append({"track": track, "count": count, "rungs": rungs, "next": next_rung})
    user = request.user
    promoter = None
    if user.is_authenticated:
        promoter = next((p for p in initiative.promoters.all() if p.user_id == user.pk), None)
    context = {
        "initiative": initiative,
        "tracks": tracks,
        "total": counts.get(TOTAL_TRACK),
        "time_left": _time_left(initiative),
        "collecting": initiative.status == Status.COLLECTING
        and initiative.closes_at is not None
        and initiative.closes_at > now,
        "has_signed": selectors.has_signed(user=user, initiative_id=pk),
        "is_initiator": is_initiator(user, initiative),
        "can_withdraw": can_transition(initiative.status, Status.WITHDRAWN)
        and (initiative.closes_at is None or initiative.closes_at > now),
        "is_moderator": is_moderator(user),
        "promoter": promoter,
        "promoters_have": promoters_cosigned(initiative)
        if initiative.status == Status.DRAFT
        else None,
        "promoters_need": promoters_needed(initiative)
        if initiative.status == Status.DRAFT
        else None,
        "invite_form": InviteForm(),
        "reject_form": RejectForm(),
        "rejections": _rejection_rows(pk) if initiative.published_at else [],
    }
    return render(request, "petitions/detail.html", context)


def _rejection_rows(initiative_id: int) -> list[tuple[str, int]]:
    counts = selectors.paper_rejection_counts(initiative_id=initiative_id)
    return [(str(r.label), counts[r.value]) for r in PaperRejectionReason if counts.get(r.value)]


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
    _act(
        request,
        _(
            "Votre signature est enregistrée. Elle apparaîtra dans le compteur à la prochaine mise à jour."
        ),
        lambda: services.signature_sign(initiative_id=pk, user=_user(request)),
    )
    return redirect("petitions:detail", pk=pk)


@login_required
@require_POST
def initiative_unsign(request: HttpRequest, pk: int) -> HttpResponse:
    if _throttled(request):
        return redirect("petitions:detail", pk=pk)
    _act(
        request,
        _("Votre signature est retirée."),
        lambda: services.signature_withdraw(initiative_id=pk, user=_user(request)),
    )
    return redirect("petitions:detail", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def initiative_create(request: HttpRequest) -> HttpResponse:
    form = InitiativeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            initiative = services.initiative_create(
                actor=_user(request),
                title=data["title"],
                summary=data["summary"],
                body=data["body"],
                instrument_slugs=data["instruments"],
                district_id=data["district"].pk if data["district"] else None,
            )
        except DomainError as exc:
            form.add_error(None, str(exc.detail))
        else:
            messages.success(request, _("Brouillon créé. Invitez vos co-porteurs."))
            return redirect("petitions:detail", pk=initiative.pk)
    return render(request, "petitions/form.html", {"form": form, "creating": True})


@login_required
@require_http_methods(["GET", "POST"])
def initiative_edit(request: HttpRequest, pk: int) -> HttpResponse:
    initiative = _get(request, pk)
    if not is_initiator(request.user, initiative) or initiative.status != Status.DRAFT:
        raise PermissionDenied
    initial = {
        "title": initiative.title,
        "summary": initiative.summary,
        "body": initiative.body,
        "district": initiative.district,
        "instruments": [t.instrument_type.slug for t in initiative.tracks.all()],
    }
    form = InitiativeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        slugs = data["instruments"] if data["instruments"] != initial["instruments"] else None
        if _act(
            request,
            _("Brouillon enregistré."),
            lambda: services.initiative_update(
                initiative_id=pk,
                actor=_user(request),
                instrument_slugs=slugs,
                title=data["title"],
                summary=data["summary"],
                body=data["body"],
                district_id=data["district"].pk if data["district"] else None,
            ),
        ):
            return redirect("petitions:detail", pk=pk)
    return render(
        request, "petitions/form.html", {"form": form, "creating": False, "initiative": initiative}
    )


@login_required
@require_POST
def initiative_invite(request: HttpRequest, pk: int) -> HttpResponse:
    form = InviteForm(request.POST)
    if form.is_valid():
        _act(
            request,
            _("Invitation envoyée."),
            lambda: services.promoter_invite(
                initiative_id=pk, actor=_user(request), email=form.cleaned_data["email"]
            ),
        )
    else:
        messages.error(request, _("Adresse e-mail invalide."))
    return redirect("petitions:detail", pk=pk)


@login_required
@require_POST
def initiative_cosign(request: HttpRequest, pk: int) -> HttpResponse:
    _act(
        request,
        _("Vous avez cosigné l'initiative."),
        lambda: services.promoter_cosign(initiative_id=pk, user=_user(request)),
    )
    return redirect("petitions:detail", pk=pk)


# Lazy: the messages are built at import time and read in the language of each request.
_TRANSITIONS: dict[str, tuple[Callable[..., Any], Promise]] = {
    "submit": (services.initiative_submit, gettext_lazy("Initiative déposée.")),
    "review": (services.initiative_review_start, gettext_lazy("Examen commencé.")),
    "publish": (services.initiative_publish, gettext_lazy("Collecte ouverte.")),
    "withdraw": (services.initiative_withdraw, gettext_lazy("Initiative retirée.")),
}


@login_required
@require_POST
def initiative_transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    service, success = _TRANSITIONS[action]
    _get(request, pk)
    _act(request, str(success), lambda: service(initiative_id=pk, actor=_user(request)))
    return redirect("petitions:detail", pk=pk)


@login_required
@require_POST
def initiative_reject(request: HttpRequest, pk: int) -> HttpResponse:
    form = RejectForm(request.POST)
    if form.is_valid():
        _act(
            request,
            _("Initiative déclarée irrecevable."),
            lambda: services.initiative_reject(
                initiative_id=pk,
                actor=_user(request),
                reason_code=form.cleaned_data["reason"].code,
                text=form.cleaned_data["text"],
            ),
        )
    else:
        messages.error(request, _("Choisissez un motif."))
    return redirect("petitions:detail", pk=pk)


@login_required
def my_initiatives(request: HttpRequest) -> HttpResponse:
    query = selectors.initiative_list(viewer=request.user, filters={"mine": True})
    return render(request, "petitions/mine.html", {"rows": [_summary(i) for i in query[:200]]})


@login_required
def my_signatures(request: HttpRequest) -> HttpResponse:
    signatures = selectors.signatures_of(user=_user(request))[:500]
    now = timezone.now()
    rows = [
        {
            "signature": s,
            "can_withdraw": s.initiative.status == Status.COLLECTING
            and s.initiative.closes_at is not None
            and s.initiative.closes_at > now,
        }
        for s in signatures
    ]
    return render(request, "petitions/my_signatures.html", {"rows": rows})


def obligations(request: HttpRequest) -> HttpResponse:
    form = ObligationFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    query = selectors.obligations_public(overdue=True if data.get("overdue") else None)
    if data.get("kind"):
        query = query.filter(kind=data["kind"])
    page = Paginator(query, 50).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [
        {"obligation": o, "overdue": o.status == ObligationStatus.OPEN and o.due_at < now}
        for o in page.object_list
    ]
    return render(
        request,
        "petitions/obligations.html",
        {
            "form": form,
            "rows": rows,
            "page": page,
            "done_form": ObligationDoneForm(),
            "is_moderator": is_moderator(request.user),
        },
    )


@login_required
@require_POST
def obligation_done(request: HttpRequest, pk: int) -> HttpResponse:
    form = ObligationDoneForm(request.POST)
    if form.is_valid():
        _act(
            request,
            _("Engagement marqué comme tenu."),
            lambda: services.obligation_complete(
                obligation_id=pk, actor=_user(request), evidence=form.cleaned_data["evidence"]
            ),
        )
    else:
        messages.error(request, _("Joignez un lien ou un texte."))
    return redirect("petitions:obligations")


@login_required
def staff_queue(request: HttpRequest) -> HttpResponse:
    if not is_moderator(request.user):
        raise PermissionDenied
    pending = (
        Initiative.objects.filter(status__in=[Status.SUBMITTED, Status.IN_REVIEW])
        .select_related("initiator")
        .order_by("submitted_at")
    )
    collecting = Initiative.objects.filter(status=Status.COLLECTING).order_by("closes_at")
    return render(
        request,
        "petitions/staff_queue.html",
        {"pending": pending, "collecting": collecting, "reject_form": RejectForm()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def staff_paper(request: HttpRequest, pk: int) -> HttpResponse:
    if not is_moderator(request.user):
        raise PermissionDenied
    initiative = _get(request, pk)
    form = PaperForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        entry_id = None
        if data.get("register_ref"):
            entry_id = (
                RegisterEntry.objects.filter(ref=data["register_ref"])
                .values_list("pk", flat=True)
                .first()
            )
        try:
            outcome = services.paper_signature_enter(
                initiative_id=pk,
                actor=_user(request),
                register_entry_id=entry_id,
                last_name=None if entry_id else data.get("last_name"),
                first_names=None if entry_id else data.get("first_names"),
                birth_date=None if entry_id else data.get("birth_date"),
                sheet_ref=data.get("sheet_ref", ""),
            )
        except DomainError as exc:
            form.add_error(None, str(exc.detail))
        else:
            if outcome.accepted:
                messages.success(request, _("Signature papier enregistrée."))
            else:
                messages.warning(
                    request,
                    _("Signature rejetée : %(reason)s.")
                    % {"reason": PaperRejectionReason(outcome.reason or "").label},
                )
            return redirect("petitions:staff-paper", pk=pk)
    return render(
        request,
        "petitions/staff_paper.html",
        {"initiative": initiative, "form": form, "rejections": _rejection_rows(pk)},
    )
