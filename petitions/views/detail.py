"""An initiative's page: one public part every visitor shares, and the visitor's own action area.

The page is read far more than anything else (a viral initiative), by anonymous visitors (whole
pages remembered and cached: civic/http_cache.py) and by signed-in residents, whose page cannot be
shared whole. It is therefore built from:

- the public part (`_detail_top.html`, `_detail_main.html`: status, text, counts, rungs and the
  city's obligations, paper rejections), rendered once per process under a key of what it shows
  (the initiative's update stamp, the count version, the language, the time left and the date:
  civic/fragments.py) and reused by every visitor until the key changes;
- the visitor's part (sign, withdraw, co-sign, moderate), rendered for each request from the
  initiative's row, which says whether the resident signed it.

A published initiative's page costs a signed-in resident two queries (the user with their
register entry, the initiative with "has signed"; the session comes from the cache) once its
public part is kept; unpublished initiatives (drafts,
reviews: their few readers act on them) are rendered whole each time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from civic.errors import NotFound
from civic.fragments import fragment, kept_page
from civic.http_cache import public_page
from civic.pdf import DocumentLink, document_link, document_response
from civic.roles import is_staff_member
from petitions import selectors, services
from petitions.forms import InviteForm, RejectForm
from petitions.models import TOTAL_TRACK, Initiative, InitiativeTrack, Status
from petitions.obligations_pdf import obligations_document
from petitions.rules import (
    initiative_collection_open,
    is_initiator,
    is_moderator,
    is_withdrawn,
    may_withdraw,
)
from petitions.selectors.standing import sign_standing
from petitions.views._common import rejection_rows
from petitions.workflow import EDITABLE


@dataclass(frozen=True)
class PublicPart:
    top: SafeString
    main: SafeString
    tracks: list[InitiativeTrack]  # with their instrument types: the action area names them


def page_version(request: HttpRequest, pk: int) -> str:
    """The count version (one cache read, once per request): the remembered anonymous page and
    the public part are keyed on it, so a fold's new counts show at once (selectors/counts.py)."""
    version: str | None = getattr(request, "_petitions_count_version", None)
    if version is None:
        version = selectors.count_version()
        request._petitions_count_version = version  # type: ignore[attr-defined]
    return version


@public_page(version=page_version)
def initiative_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        initiative, has_signed = selectors.initiative_page_load(
            initiative_id=pk, viewer=request.user
        )
    except NotFound:
        raise Http404 from None
    if is_withdrawn(initiative.moderation):
        return _unpublished(request, initiative)
    public_key = _public_key(request, initiative)
    public = _public_part(initiative, public_key)
    viewer = _viewer_context(request, initiative, public.tracks, has_signed)
    context = {"initiative": initiative, "public": public, **viewer}
    kept = _kept_page_key(request, public_key, viewer)
    if kept is None:
        return render(request, "petitions/detail.html", context)
    return kept_page(
        request,
        kept,
        lambda slot: render(request, "petitions/detail.html", {**context, "messages_slot": slot}),
    )


def _unpublished(request: HttpRequest, initiative: Initiative) -> HttpResponse:
    """An unpublished initiative: a notice with the reason and the public history, nothing of
    its text (moderators read it on the moderation page)."""
    context = {
        "initiative": initiative,
        "history": selectors.history_of(initiative),
        "is_moderator": is_moderator(request.user),
    }
    return render(request, "petitions/unpublished.html", context)


class PublicKey(NamedTuple):
    """The key of the public part: everything it shows that may change (a tuple, so it keys the
    process's fragments as it is and nests in the kept page's key)."""

    kind: str
    initiative_id: int
    updated_at: datetime
    count_version: str
    language: str
    time_left: str | None
    today: date  # an obligation becomes overdue at a day's change


def _public_key(request: HttpRequest, initiative: Initiative) -> PublicKey | None:
    """What the public part shows; None for an unpublished initiative (rendered whole)."""
    if initiative.published_at is None:
        return None
    return PublicKey(
        kind="petitions.initiative",
        initiative_id=initiative.pk,
        updated_at=initiative.updated_at,
        count_version=page_version(request, initiative.pk),
        language=get_language(),
        time_left=_time_left(initiative),
        today=timezone.localdate(),
    )


def _public_part(initiative: Initiative, key: PublicKey | None) -> PublicPart:
    if key is None:
        return _render_public_part(initiative, _time_left(initiative), None)
    return fragment(key, lambda: _render_public_part(initiative, key.time_left, key.count_version))


def _kept_page_key(
    request: HttpRequest, public_key: PublicKey | None, viewer: dict[str, Any]
) -> tuple[Any, ...] | None:
    """The key of the whole page for a resident who only reads and signs here (civic.fragments.
    kept_page): everything the page shows about them (verified, signed in through the identity
    provider, their standing on each track) and where it is shown. None for anyone the page shows
    more (staff, the initiative's promoters) and for anonymous visitors (civic/http_cache.py)."""
    user = request.user
    if public_key is None or not user.is_authenticated or len(request.get_full_path()) > 1024:
        return None
    if viewer["is_initiator"] or viewer["is_moderator"] or is_staff_member(user):
        return None
    standing = viewer["sign_standing"]
    tracks = tuple(
        (t.track.pk, t.decision.eligible, t.decision.code, t.decision.rule)
        for t in (standing.tracks if standing else ())
    )
    return (
        "petitions.resident-page",
        public_key,
        request.scheme,
        request.get_host(),
        request.get_full_path(),
        user.is_verified,
        bool(request.session.get("oidc_id_token")),
        viewer["collecting"],
        standing.state if standing else None,
        tracks,
    )


def _render_public_part(
    initiative: Initiative, time_left: str | None, version: str | None
) -> PublicPart:
    """Load what the public part shows (tracks, rungs, obligations, counts, promoters: four
    queries, five for a published initiative's paper rejections) and render it."""
    selectors.initiative_page_prefetch(initiative)
    counts = _published_counts(initiative, version)
    context = {
        "initiative": initiative,
        "tracks": _track_rows(initiative, counts),
        "total": counts.get(TOTAL_TRACK),
        "time_left": time_left,
        "initiators": _initiators(initiative),
        "rejections": rejection_rows(initiative.pk) if initiative.published_at else [],
        "obligations_pdf": _obligations_link(initiative),
    }
    return PublicPart(
        top=SafeString(render_to_string("petitions/_detail_top.html", context)),
        main=SafeString(render_to_string("petitions/_detail_main.html", context)),
        tracks=list(initiative.tracks.all()),
    )


def _obligations_link(initiative: Initiative) -> DocumentLink | None:
    if not any(track.rungs.all() for track in initiative.tracks.all()):
        return None
    return document_link(
        obligations_document(initiative),
        reverse("petitions:obligations-pdf", args=[initiative.pk]),
    )


@public_page
def initiative_obligations_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The rungs and the city's obligations as a PDF, for whoever may see the initiative's page."""
    try:
        initiative = selectors.initiative_page_get(initiative_id=pk, viewer=request.user)
    except NotFound:
        raise Http404 from None
    selectors.initiative_page_prefetch(initiative)
    return document_response(obligations_document(initiative))


def _time_left(initiative: Initiative) -> str | None:
    if initiative.status != Status.COLLECTING or initiative.closes_at is None:
        return None
    if initiative.collection_paused_at is not None:
        return _("Collecte suspendue")
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


def _published_counts(initiative: Initiative, version: str | None) -> dict[int, int]:
    """The counts the API publishes (selectors.initiative_count: the process's memo, the shared
    cache, one indexed read), so that the page and the API never disagree; a draft has none."""
    if initiative.published_at is None:
        return selectors.counts_of(initiative)
    try:
        count = selectors.initiative_count(initiative_id=initiative.pk, version=version)
    except NotFound:
        return selectors.counts_of(initiative)
    return {TOTAL_TRACK: count.total, **count.tracks}


def _track_rows(initiative: Initiative, counts: dict[int, int]) -> list[dict[str, Any]]:
    """Each track with its count, its rungs (and their obligations) and the next rung to reach."""
    tracks = []
    for track in initiative.tracks.all():
        rungs = []
        for rung in track.rungs.all():
            obligation = getattr(rung, "obligation", None)
            rungs.append(
                {
                    "rung": rung,
                    "obligation": obligation,
                    "overdue": obligation is not None and selectors.is_overdue(obligation),
                }
            )
        next_rung = next((rung for rung in track.rungs.all() if rung.reached_at is None), None)
        count = counts.get(track.position, 0)
        tracks.append({"track": track, "count": count, "rungs": rungs, "next": next_rung})
    return tracks


def _initiators(initiative: Initiative) -> list[str]:
    """The public names of the people carrying the initiative: its initiator, then those who
    co-signed it (never an e-mail address)."""
    people = [initiative.initiator]
    people += [
        p.user
        for p in initiative.promoters.all()
        if p.cosigned_at is not None and p.user_id != initiative.initiator_id
    ]
    return [person.display_name or _("un·e habitant·e") for person in people]


def _viewer_context(
    request: HttpRequest, initiative: Initiative, tracks: list[InitiativeTrack], signed: bool
) -> dict[str, Any]:
    """What this visitor may do here: sign, withdraw, co-sign, moderate. No query for a resident
    (whether they signed came with the initiative's row); drafts load their promoters."""
    user = request.user
    now = timezone.now()
    drafting = initiative.status in EDITABLE
    collecting = initiative_collection_open(initiative, now=now)
    has_signed = signed and collecting
    initiator = is_initiator(user, initiative)
    moderator = is_moderator(user)
    promoter = None
    if user.is_authenticated and drafting:
        promoter = next((p for p in initiative.promoters.all() if p.user_id == user.pk), None)
    return {
        "collecting": collecting,
        "has_signed": has_signed,
        "sign_standing": sign_standing(tracks=tracks, user=user, has_signed=has_signed)
        if collecting
        else None,
        "is_initiator": initiator,
        "can_withdraw": initiator and may_withdraw(initiative, now=now),
        "is_moderator": moderator,
        "promoter": promoter,
        "promoters_have": services.promoters_cosigned(initiative) if drafting else None,
        "promoters_need": services.promoters_needed(initiative) if drafting else None,
        "invite_form": InviteForm() if initiator and drafting else None,
        "reject_form": RejectForm() if moderator else None,
    }
