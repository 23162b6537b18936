"""Guided initiative creation, one question per page (`/initiatives/new/<step>/`). Each step is a
plain form that posts and redirects to the next (no JavaScript); the answers wait in the session;
the preview's button calls the creation service, then "what happens next" shows the ladder."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from civic.errors import DomainError
from civic.models import District
from petitions import guided, services
from petitions.models import Initiative, InstrumentType, RungKind
from petitions.rules import promoters_required
from petitions.views._common import user_of

TITLES = {
    "instrument": _("Quel instrument ?"),
    "text": _("Titre et texte"),
    "co-initiators": _("Co-porteurs"),
    "preview": _("Vérifiez votre initiative"),
    "next": _("Et ensuite ?"),
}


def _posted(request: HttpRequest) -> Any:
    """The posted data, even empty (an empty POST must bind the form and show its errors)."""
    return request.POST if request.method == "POST" else None


def _step_url(step: str) -> str:
    return reverse("petitions:guided", kwargs={"step": step})


def _render(request: HttpRequest, step: str, context: dict[str, Any]) -> HttpResponse:
    index = guided.STEPS.index(step)
    previous = guided.STEPS[index - 1] if 0 < index < len(guided.STEPS) - 1 else None
    return render(
        request,
        f"petitions/guided/{step.replace('-', '_')}.html",
        {
            "step": step,
            "step_number": index + 1,
            "step_count": len(guided.STEPS),
            "step_title": str(TITLES[step]),
            "back_url": _step_url(previous) if previous else None,
            **context,
        },
    )


def instrument_rows(types: list[InstrumentType]) -> list[dict[str, Any]]:
    """Each instrument explained: who may sign, the window, the promoters and the ladder."""
    rows = []
    for t in types:
        rungs = list(t.rungs.all())
        rows.append(
            {
                "type": t,
                "who": t.get_predicate_display(),
                "rungs": [
                    {
                        "rung": rung,
                        "step": position,
                        "share": rung.kind == RungKind.SHARE,
                    }
                    for position, rung in enumerate(rungs, start=1)
                ],
                "rung_count": len(rungs),
            }
        )
    return rows


def _co_initiator_rule(types: list[InstrumentType]) -> dict[str, Any]:
    """The rule, said before anything is saved: how many promoters, who may be one (the same
    predicates the co-signing service checks, `rules.may_cosign`)."""
    return {
        "needed": promoters_required(types),
        "others_needed": promoters_required(types) - 1,
        "who": sorted({str(t.get_predicate_display()) for t in types}),
        "bases": sorted({t.legal_basis for t in types}),
    }


def _step_instrument(request: HttpRequest, saved: dict[str, Any]) -> HttpResponse:
    goals = guided.goals()
    form = guided.InstrumentChoiceForm(
        _posted(request), goals=goals, initial=saved.get("instrument") or {}
    )
    if request.method == "POST" and form.is_valid():
        guided.answers_save(request.session, "instrument", {"goal": form.cleaned_data["goal"]})
        return redirect(_step_url("text"))
    options = [{"goal": g, "rows": instrument_rows(g.types)} for g in goals if g.key != "both"]
    return _render(request, "instrument", {"form": form, "options": options})


def _step_text(request: HttpRequest, saved: dict[str, Any]) -> HttpResponse:
    form = guided.text_form(_posted(request), saved=saved)
    if request.method == "POST" and form.is_valid():
        guided.answers_save(request.session, "text", guided.text_answers(form))
        return redirect(_step_url("co-initiators"))
    return _render(request, "text", {"form": form})


def _step_co_initiators(request: HttpRequest, saved: dict[str, Any]) -> HttpResponse:
    user = user_of(request)
    initial = {"emails": "\n".join((saved.get("co-initiators") or {}).get("emails", []))}
    form = guided.CoInitiatorsForm(_posted(request), own_email=user.email, initial=initial)
    if request.method == "POST" and form.is_valid():
        guided.answers_save(
            request.session, "co-initiators", {"emails": form.cleaned_data["emails"]}
        )
        return redirect(_step_url("preview"))
    rule = _co_initiator_rule(guided.chosen_types(saved))
    return _render(request, "co-initiators", {"form": form, "rule": rule})


def _create(request: HttpRequest, saved: dict[str, Any], types: list[InstrumentType]) -> int:
    """The creation service writes the draft, the invitation service each invitation: all or
    nothing."""
    text = saved["text"]
    with transaction.atomic():
        initiative = services.initiative_create(
            actor=user_of(request),
            title=text["title"],
            summary=text["summary"],
            body=text["body"],
            instrument_slugs=[t.slug for t in types],
            district_id=text.get("district"),
        )
        for email in saved["co-initiators"]["emails"]:
            services.promoter_invite(
                initiative_id=initiative.pk, actor=user_of(request), email=email
            )
    return initiative.pk


def _step_preview(request: HttpRequest, saved: dict[str, Any]) -> HttpResponse:
    types = guided.chosen_types(saved)
    error = None
    if not types:
        return redirect(_step_url("instrument"))
    if request.method == "POST":
        try:
            pk = _create(request, saved, types)
        except DomainError as exc:
            error = f"{exc.detail} ({exc.rule})" if exc.rule else str(exc.detail)
        else:
            guided.answers_forget(request.session)
            request.session[guided.CREATED_KEY] = pk
            return redirect(_step_url("next"))
    district_id = saved["text"].get("district")
    context = {
        "types": types,
        "text": saved["text"],
        "district": District.objects.filter(pk=district_id).first() if district_id else None,
        "emails": saved["co-initiators"]["emails"],
        "rule": _co_initiator_rule(types),
        "error": error,
    }
    return _render(request, "preview", context)


def _step_next(request: HttpRequest) -> HttpResponse:
    pk = request.session.get(guided.CREATED_KEY)
    initiative = (
        Initiative.objects.filter(pk=pk, initiator=user_of(request))
        .prefetch_related("tracks__instrument_type__rungs")
        .first()
        if pk
        else None
    )
    if initiative is None:
        return redirect(_step_url("instrument"))
    types = [t.instrument_type for t in initiative.tracks.all()]
    context = {
        "initiative": initiative,
        "rows": instrument_rows(types),
        "rule": _co_initiator_rule(types),
        "window_days": min(t.window_days for t in types),
    }
    return _render(request, "next", context)


@login_required
@require_http_methods(["GET", "POST"])
def initiative_guided(request: HttpRequest, step: str) -> HttpResponse:
    if step not in guided.STEPS:
        raise Http404
    if step == "next":
        return _step_next(request)
    if not user_of(request).is_verified:
        return _render(request, "instrument", {"refused": True})
    saved = guided.answers(request.session)
    missing = guided.first_missing_step(saved, step)
    if missing is not None:
        return redirect(_step_url(missing))
    handlers = {
        "instrument": _step_instrument,
        "text": _step_text,
        "co-initiators": _step_co_initiators,
        "preview": _step_preview,
    }
    return handlers[step](request, saved)
