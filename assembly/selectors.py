"""Reads: public composition, sessions, the home-page section and the personal data export."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from assembly.models import (
    AbsenceNotice,
    AgendaItem,
    Attendance,
    DrawCommitment,
    Feature,
    Invitation,
    InvitationBatch,
    Mandate,
    MandateStatus,
    Member,
    MemberStatus,
    Minutes,
    MinutesStatus,
    Motion,
    MotionStatus,
    Recommendation,
    Session,
    SessionStatus,
    Volunteer,
)
from assembly.withdrawn import minutes_public_body
from civic.models import User

PUBLIC_MANDATE_STATUSES = [
    MandateStatus.RECRUITING,
    MandateStatus.COMMITTED,
    MandateStatus.SEATED,
    MandateStatus.CLOSED,
]


def mandate_list() -> QuerySet[Mandate]:
    return Mandate.objects.filter(status__in=PUBLIC_MANDATE_STATUSES).order_by("-starts_on", "-id")


def mandate_current() -> Mandate | None:
    return (
        Mandate.objects.filter(
            status__in=[MandateStatus.SEATED, MandateStatus.COMMITTED, MandateStatus.RECRUITING]
        )
        .order_by("-starts_on", "-id")
        .first()
    )


def member_list(*, mandate: Mandate, include_former: bool = False) -> QuerySet[Member]:
    qs = Member.objects.filter(mandate=mandate)
    if not include_former:
        qs = qs.filter(status=MemberStatus.ACTIVE)
    return qs.order_by("seat", "id")


def composition(*, mandate: Mandate) -> list[dict[str, Any]]:
    """Per quota: min, max, volunteers in the pool and active members. Counts only: no person."""
    pool = list(
        Volunteer.objects.filter(mandate=mandate, withdrawn_at__isnull=True).values_list(
            "features", flat=True
        )
    )
    panel = list(
        Member.objects.filter(mandate=mandate, status=MemberStatus.ACTIVE).values_list(
            "volunteer__features", flat=True
        )
    )
    rows = []
    for feature in (
        Feature.objects.filter(mandate=mandate).prefetch_related("quotas").order_by("key")
    ):
        for quota in feature.quotas.all():
            in_panel = sum(1 for f in panel if f.get(feature.key) == quota.value)
            rows.append(
                {
                    "feature": feature.key,
                    "feature_label": feature.label,
                    "value": quota.value,
                    "label": quota.label,
                    "min": quota.min,
                    "max": quota.max,
                    "pool": sum(1 for f in pool if f.get(feature.key) == quota.value),
                    "panel": in_panel,
                    "met": quota.min <= in_panel <= quota.max,
                }
            )
    return rows


def session_list(*, mandate: Mandate | None = None) -> QuerySet[Session]:
    qs = Session.objects.exclude(status=SessionStatus.PLANNED).select_related("mandate")
    if mandate is not None:
        qs = qs.filter(mandate=mandate)
    return qs.order_by("-starts_at", "-id")


def session_detail_queryset() -> QuerySet[Session]:
    return Session.objects.select_related("mandate").prefetch_related(
        Prefetch("agenda_items", queryset=AgendaItem.objects.order_by("position", "id")),
        Prefetch("motions", queryset=Motion.objects.order_by("id")),
        Prefetch("minutes", queryset=Minutes.objects.all()),
    )


def minutes_public(session: Session) -> Minutes | None:
    minutes = Minutes.objects.filter(session=session, status=MinutesStatus.PUBLISHED).first()
    return minutes


def recommendation_list(*, mandate: Mandate) -> QuerySet[Recommendation]:
    return Recommendation.objects.filter(mandate=mandate).order_by("-adopted_at", "-id")


def home_section(request: HttpRequest) -> dict[str, Any] | None:
    mandate = mandate_current()
    if mandate is None:
        return None
    items = []
    for session in Session.objects.filter(
        mandate=mandate,
        status__in=[SessionStatus.PUBLISHED, SessionStatus.OPEN],
        starts_at__gte=timezone.now() - timedelta(hours=12),
    ).order_by("starts_at")[:5]:
        items.append(
            {
                "title": session.title,
                "url": reverse("assembly:session", args=[session.pk]),
                "note": timezone.localtime(session.starts_at).strftime("%d/%m/%Y %H:%M")
                + " — "
                + session.place,
            }
        )
    return {
        "title": _("Assemblée citoyenne : prochaines séances"),
        "items": items,
        "empty": _("Aucune séance publiée pour le moment."),
    }


def personal_data_export(*, user: User) -> dict[str, Any]:
    if user.register_entry_id is None:
        return {"invitations": [], "volunteering": []}
    invitations = [
        {
            "mandate": inv.mandate.title,
            "status": inv.status,
            "created_at": inv.created_at,
            "answered_at": inv.answered_at,
        }
        for inv in Invitation.objects.filter(
            register_entry_id=user.register_entry_id
        ).select_related("mandate")
    ]
    rows = []
    for v in Volunteer.objects.filter(register_entry_id=user.register_entry_id).select_related(
        "mandate"
    ):
        member = Member.objects.filter(volunteer=v).first()
        rows.append(
            {
                "mandate": v.mandate.title,
                "pseudonym": v.pseudonym,
                "features": v.features,
                "email": v.email,
                "phone": v.phone,
                "consent_at": v.consent_at,
                "withdrawn_at": v.withdrawn_at,
                "selection_probability": v.selection_probability,
                "member": (
                    {
                        "seat": member.seat,
                        "status": member.status,
                        "joined_at": member.joined_at,
                        "left_at": member.left_at,
                    }
                    if member
                    else None
                ),
                "votes": [
                    {
                        "motion": vote.motion.title,
                        "choice": vote.choice,
                        "recorded_at": vote.recorded_at,
                    }
                    for vote in (member.votes.select_related("motion") if member else [])
                ],
            }
        )
    return {"invitations": invitations, "volunteering": rows}


def draw_bundle(commitment: DrawCommitment) -> dict[str, Any]:
    """Everything needed to rerun a draw: the committed payload, its digest, the seed and the
    published result. Served at /assembly/<id>/tirage.json and /api/v1/assemblies/<id>/draw/."""
    return {
        "digest": commitment.digest,
        "payload": commitment.payload,
        "seed": commitment.seed or None,
        "seed_recorded_at": (
            commitment.seed_recorded_at.isoformat() if commitment.seed_recorded_at else None
        ),
        "beacon": draw_beacon(commitment),
        "ticket": commitment.ticket,
        "panel": commitment.panel,
        "reserve": commitment.reserve,
    }


def invitation_batch_pending(*, mandate: Mandate) -> InvitationBatch | None:
    """The batch committed and not yet drawn (one at a time), for the clerk's desk."""
    return mandate.batches.filter(drawn_at__isnull=True).exclude(seed_digest="").first()


def draw_beacon(commitment: DrawCommitment) -> dict[str, Any] | None:
    """The public round the seed is the randomness of (round, randomness, signature), once drawn;
    None before the draw and for the typed seeds of before."""
    if commitment.beacon_round is None or not commitment.seed:
        return None
    return {
        "round": commitment.beacon_round,
        "randomness": commitment.seed,
        "signature": commitment.beacon_signature,
    }


# Read by the dashboards

# This section stands apart (appended whole, the code above may change): it imports what it
# uses itself, names the module above may import too (hence F811, RUF100 where they do not).
from datetime import date  # noqa: E402, F811, RUF100
from typing import Any  # noqa: E402, F811, RUF100

from django.db.models import Count, Q, QuerySet  # noqa: E402, F811, RUF100
from django.utils.timezone import localdate  # noqa: E402, F811, RUF100

from assembly import models as _dash  # noqa: E402, F811, RUF100


def dashboard_figures(*, today: date) -> dict[str, Any]:
    """Sessions and recommendations by status, closed votes and their outcome, overdue answers."""
    motions = dict(
        _dash.Motion.objects.filter(status="closed")
        .values_list("result")
        .annotate(n=Count("id"))
        .order_by()
    )
    sessions = _dash.Session.objects.values_list("status").annotate(n=Count("id")).order_by()
    recommendations = (
        _dash.Recommendation.objects.values_list("status").annotate(n=Count("id")).order_by()
    )
    return {
        "sessions": dict(sessions),
        "votes": {
            "closed": sum(motions.values()),
            "adopted": motions.get("adopted", 0),
            "rejected": motions.get("rejected", 0),
        },
        "recommendations": dict(recommendations),
        "answers_overdue": _dash.Recommendation.objects.filter(
            status="referred", answer_due__lt=today
        ).count(),
    }


def dashboard_sessions() -> QuerySet[Any]:
    """Sessions past planning, in time order."""
    return _dash.Session.objects.exclude(status="planned").order_by("starts_at", "id")


def dashboard_votes() -> QuerySet[Any]:
    """Closed motions, in closing order."""
    return _dash.Motion.objects.filter(status="closed").order_by("closed_at", "id")


def dashboard_minutes_body(minutes: Any) -> str:
    return minutes_public_body(minutes)


def dashboard_minutes() -> QuerySet[Any]:
    """Published minutes, in publication order."""
    return _dash.Minutes.objects.filter(status="published").order_by("published_at", "id")


def member_space(member: Member) -> dict[str, Any]:
    """What a member needs between sessions: the sessions ahead (with their own absence notice),
    the motions on those agendas, the sessions behind with their own presence, and the documents
    (agendas, published minutes, recommendations)."""
    mandate = member.mandate
    ahead = list(
        Session.objects.filter(
            mandate=mandate, status__in=[SessionStatus.PUBLISHED, SessionStatus.OPEN]
        ).order_by("starts_at", "id")
    )
    noticed = set(
        AbsenceNotice.objects.filter(member=member, session__in=ahead).values_list(
            "session_id", flat=True
        )
    )
    for session in ahead:
        session.member_absent = session.pk in noticed  # type: ignore[attr-defined]
    behind = list(
        Session.objects.filter(mandate=mandate, status=SessionStatus.CLOSED)
        .select_related("minutes")
        .order_by("-starts_at", "-id")[:12]
    )
    presence = dict(
        Attendance.objects.filter(member=member, session__in=behind).values_list(
            "session_id", "present"
        )
    )
    for session in behind:
        session.member_present = presence.get(session.pk)  # type: ignore[attr-defined]
        minutes = getattr(session, "minutes", None)
        session.public_minutes = (  # type: ignore[attr-defined]
            minutes if minutes is not None and minutes.status == MinutesStatus.PUBLISHED else None
        )
    motions = list(
        Motion.objects.filter(session__in=ahead)
        .exclude(status=MotionStatus.CLOSED)
        .select_related("session")
        .order_by("session__starts_at", "id")
    )
    return {
        "member": member,
        "mandate": mandate,
        "ahead": ahead,
        "behind": behind,
        "motions": motions,
        "recommendations": recommendation_list(mandate=mandate)[:5],
    }


def attendance_sheet(session: Session, members: list[Member], present: set[int]) -> dict[str, Any]:
    """The clerk's attendance form: each active member, present or not, with the absence they
    announced (and its reason, for the clerk's eyes)."""
    absences = {n.member_id: n for n in AbsenceNotice.objects.filter(session=session)}
    rows = [
        {"member": m, "present": m.pk in present, "absence": absences.get(m.pk)} for m in members
    ]
    return {"rows": rows, "absences": len(absences)}


def dashboard_mandate(mandate_id: int) -> Any | None:
    return _dash.Mandate.objects.filter(pk=mandate_id).first()


def dashboard_attendance_rows(mandate_id: int) -> list[dict[str, Any]]:
    """Each session of a mandate with its attendance counted (present, absent), no member named."""
    sessions = (
        _dash.Session.objects.filter(mandate_id=mandate_id)
        .annotate(
            present=Count("attendances", filter=Q(attendances__present=True)),
            absent=Count("attendances", filter=Q(attendances__present=False)),
        )
        .order_by("starts_at", "id")
    )
    return [
        {
            "session": s.pk,
            "title": s.title,
            "date": localdate(s.starts_at).isoformat(),
            "status": s.status,
            "present": s.present,
            "absent": s.absent,
        }
        for s in sessions
    ]


def retention_periods() -> list[dict[str, Any]]:
    """For the privacy notice: who was invited to the draw is unlinked when the mandate closes."""
    return [
        {
            "key": "assembly:invitations",
            "what": _("Personnes tirées au sort et invitées à l'assemblée"),
            "days": None,
            "starts": _("jusqu'à la clôture du mandat, puis le lien est effacé"),
        }
    ]
