"""Reads: lists, details, counts, personal data. No COUNT(*) over signatures on a request path."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import (
    Count,
    F,
    Max,
    Model,
    Prefetch,
    Q,
    QuerySet,
    prefetch_related_objects,
)
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.errors import NotFound
from civic.models import User
from civic.perf import model_from_row
from petitions import store
from petitions.models import (
    CollectionChange,
    Initiative,
    InitiativeCount,
    InitiativeTrack,
    InstrumentType,
    Obligation,
    ObligationStatus,
    PaperRejection,
    Promoter,
    Signature,
    TrackRung,
)
from petitions.rules import collection_open_q, is_moderator, listed_q, may_view, public_q

# The published counts and their version live in petitions/selectors/counts.py; read here by name.
from petitions.selectors.counts import (  # noqa: F401
    COUNT_CACHE_SECONDS,
    PublishedCount,
    count_cache_key,
    count_memo_forget,
    count_version,
    count_version_bump,
    initiative_count,
)
from petitions.selectors.register import RejectionRegister as RejectionRegister
from petitions.selectors.register import invalidation_get as invalidation_get
from petitions.selectors.register import invalidations_of as invalidations_of
from petitions.selectors.register import rejection_register as rejection_register
from petitions.selectors.trending import trending_sources as trending_sources


def visible_initiatives(viewer: Any) -> QuerySet[Initiative]:
    """Public initiatives (rules.is_public: published, or declared inadmissible) for everyone;
    drafts and reviews for their people and moderators."""
    query = Initiative.objects.all()
    if is_moderator(viewer):
        return query
    if getattr(viewer, "is_authenticated", False):
        return query.filter(public_q() | Q(initiator=viewer) | Q(promoters__user=viewer)).distinct()
    return query.filter(public_q())


def initiative_list(*, viewer: Any, filters: dict[str, Any] | None = None) -> QuerySet[Initiative]:
    filters = filters or {}
    query = visible_initiatives(viewer)
    if not is_moderator(viewer):
        # An unpublished initiative is a notice at its address, not an entry of the lists.
        query = query.filter(listed_q())
    if status := filters.get("status"):
        query = query.filter(status=status)
    if district := filters.get("district"):
        query = query.filter(district__code=district)
    if instrument := filters.get("instrument"):
        query = query.filter(tracks__instrument_type__slug=instrument)
    if text := (filters.get("q") or "").strip():
        query = query.filter(Q(title__icontains=text) | Q(summary__icontains=text))
    if filters.get("mine") and getattr(viewer, "is_authenticated", False):
        query = query.filter(Q(initiator=viewer) | Q(promoters__user=viewer))
    return (
        query.select_related("district")
        .prefetch_related(
            Prefetch(
                "tracks",
                queryset=InitiativeTrack.objects.select_related("instrument_type").order_by(
                    "position"
                ),
            ),
            Prefetch("counts", queryset=InitiativeCount.objects.order_by("track")),
        )
        .distinct()
        .order_by(F("published_at").desc(nulls_last=True), "-id")
    )


def initiative_get(*, initiative_id: int, viewer: Any) -> Initiative:
    try:
        return (
            visible_initiatives(viewer)
            .select_related("district", "initiator", "rejection_reason")
            .prefetch_related(
                Prefetch(
                    "tracks",
                    queryset=InitiativeTrack.objects.select_related("instrument_type")
                    .prefetch_related(
                        Prefetch(
                            "rungs",
                            queryset=TrackRung.objects.select_related("obligation")
                            .prefetch_related("obligation__documents")
                            .order_by("order"),
                        )
                    )
                    .order_by("position"),
                ),
                Prefetch("counts", queryset=InitiativeCount.objects.order_by("track")),
                Prefetch("promoters", queryset=Promoter.objects.select_related("user")),
                "collection_changes",
            )
            .get(pk=initiative_id)
        )
    except Initiative.DoesNotExist:
        raise NotFound(_("Initiative introuvable."), code="initiative_not_found") from None


def initiative_page_get(*, initiative_id: int, viewer: Any) -> Initiative:
    """An initiative for its page: the row with its district, initiator and rejection reason, one
    query (two for an unpublished one: rules.may_view asks whether the viewer is a promoter).
    `initiative_page_prefetch` loads the rest, only when the page's public part is rendered."""
    return initiative_page_load(initiative_id=initiative_id, viewer=viewer)[0]


def initiative_page_load(*, initiative_id: int, viewer: Any) -> tuple[Initiative, bool]:
    """`initiative_page_get`'s initiative, and whether the viewer signed it, in the same query:
    True only for an account whose register entry signed (the entry itself is the one the
    session loaded with the user: civic/auth_backend.py)."""
    entry_id = None
    if getattr(viewer, "is_authenticated", False):
        entry_id = viewer.register_entry_id
    row = store.initiative_page_row(initiative_id, register_entry_id=entry_id)
    if row is None:
        raise NotFound(_("Initiative introuvable."), code="initiative_not_found")
    values = list(row)
    has_signed = bool(values.pop())
    initiative, district, initiator, reason = (
        _take(model, values) for model in store.PAGE_ROW_MODELS
    )
    assert isinstance(initiative, Initiative)
    Initiative.district.field.set_cached_value(initiative, district)
    Initiative.initiator.field.set_cached_value(initiative, initiator)
    Initiative.rejection_reason.field.set_cached_value(initiative, reason)
    if not may_view(viewer, initiative):
        raise NotFound(_("Initiative introuvable."), code="initiative_not_found")
    return initiative, has_signed


def _take(model: type[Model], values: list[Any]) -> Model | None:
    """The next `model` instance from the front of `values` (consumed); None for a row of NULLs
    (a LEFT JOIN that found nothing: the primary key is never NULL)."""
    n = len(model._meta.concrete_fields)
    columns = values[:n]
    del values[:n]
    return None if columns[0] is None else model_from_row(model, columns)


def initiative_page_prefetch(initiative: Initiative) -> None:
    """What an initiative's page shows besides its row: tracks (with their instrument types),
    rungs and obligations (with the documents of the city's answers), counts, promoters, the
    public history of its moderation and collection window. Five queries, six once an obligation exists."""
    prefetch_related_objects(
        [initiative],
        Prefetch(
            "tracks",
            queryset=InitiativeTrack.objects.select_related("instrument_type")
            .prefetch_related(
                Prefetch(
                    "rungs",
                    queryset=TrackRung.objects.select_related("obligation")
                    .prefetch_related("obligation__documents")
                    .order_by("order"),
                )
            )
            .order_by("position"),
        ),
        Prefetch("counts", queryset=InitiativeCount.objects.order_by("track")),
        Prefetch("promoters", queryset=Promoter.objects.select_related("user")),
        Prefetch("collection_changes", queryset=CollectionChange.objects.order_by("at", "id")),
    )


def history_of(initiative: Initiative) -> list[CollectionChange]:
    """The public history of an initiative's moderation and collection window, oldest first."""
    return list(CollectionChange.objects.filter(initiative=initiative).order_by("at", "id"))


def counts_of(initiative: Initiative) -> dict[int, int]:
    """Published counts from a prefetched `counts` relation: {track position or TOTAL_TRACK: n}."""
    return {c.track: c.count for c in initiative.counts.all()}


def paper_rejection_counts(*, initiative_id: int) -> dict[str, int]:
    rows = (
        PaperRejection.objects.filter(initiative_id=initiative_id)
        .values("reason")
        .annotate(n=Count("id"))
        .order_by("reason")
    )
    return {r["reason"]: r["n"] for r in rows}


def obligations_public(*, overdue: bool | None = None) -> QuerySet[Obligation]:
    query = (
        Obligation.objects.filter(initiative__published_at__isnull=False)
        .select_related("initiative")
        .prefetch_related("documents")
    )
    if overdue is True:
        query = query.filter(status=ObligationStatus.OPEN, due_at__lt=timezone.now())
    return query.order_by("due_at", "id")


def is_overdue(obligation: Obligation) -> bool:
    return obligation.status == ObligationStatus.OPEN and obligation.due_at < timezone.now()


def signatures_of(*, user: User) -> QuerySet[Signature]:
    if not user.is_authenticated or user.register_entry_id is None:
        return Signature.objects.none()
    return (
        Signature.objects.filter(register_entry_id=user.register_entry_id)
        .select_related("initiative")
        .order_by("-created_at", "-id")
    )


def has_signed(*, user: Any, initiative_id: int) -> bool:
    if not getattr(user, "is_authenticated", False) or user.register_entry_id is None:
        return False
    return Signature.objects.filter(
        initiative_id=initiative_id, register_entry_id=user.register_entry_id
    ).exists()


def counts_last_modified(initiative_ids: list[int]) -> datetime | None:
    result = InitiativeCount.objects.filter(initiative_id__in=initiative_ids).aggregate(
        m=Max("updated_at")
    )
    return result["m"]


# --- Hooks called by the civic core --------------------------------------------------------------


def home_section(request: HttpRequest) -> dict[str, Any] | None:
    items = []
    for initiative in Initiative.objects.filter(collection_open_q(timezone.now())).order_by(
        "closes_at"
    )[:5]:
        assert initiative.closes_at is not None
        items.append(
            {
                "title": initiative.title,
                "url": initiative.get_absolute_url(),
                "note": _("signatures jusqu'au %(date)s")
                % {"date": timezone.localtime(initiative.closes_at).strftime("%d/%m/%Y")},
            }
        )
    return {
        "title": _("Initiatives en cours de signature"),
        "items": items,
        "empty": _("Aucune initiative ne recueille de signatures en ce moment."),
    }


def personal_data_export(*, user: User) -> dict[str, Any]:
    return {
        "initiatives_started": [
            {"id": i.pk, "title": i.title, "status": i.status, "created_at": i.created_at}
            for i in Initiative.objects.filter(initiator=user).order_by("id")
        ],
        "promoter_of": [
            {
                "initiative_id": p.initiative_id,
                "invited_at": p.invited_at,
                "cosigned_at": p.cosigned_at,
            }
            for p in Promoter.objects.filter(user=user).order_by("id")
        ],
        "signatures": [
            {
                "initiative_id": s.initiative_id,
                "initiative_title": s.initiative.title,
                "channel": s.channel,
                "signed_at": s.created_at,
                "eligibility_facts": s.facts,
                "district_id": s.district_id,
            }
            for s in signatures_of(user=user)
        ],
    }


def retention_periods() -> list[dict[str, Any]]:
    """For the privacy notice (civic/legal/retention.py): each instrument type's period, the very
    field `signatures_purge_due` applies."""
    return [
        {
            "key": f"petitions:{kind.pk}",
            "what": _("Signataires : %(name)s") % {"name": kind.name},
            "days": kind.retention_days,
            "starts": _(
                "après la clôture de la collecte (et tant qu'une obligation reste ouverte)"
            ),
        }
        for kind in InstrumentType.objects.order_by("name").only("pk", "name", "retention_days")
    ]
