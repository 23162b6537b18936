"""The clerk's desk: a mandate (recruitment, commitment, draw, departures, sessions,
recommendations) and a session (agenda, attendance, votes, minutes). No JavaScript needed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from assembly import clerk_records, selectors
from assembly.forms import (
    AgendaItemForm,
    AnswerForm,
    CommitmentForm,
    InvitationsForm,
    LeaveForm,
    MinutesForm,
    MotionForm,
    ReferForm,
    SessionForm,
    posted_id,
)
from assembly.models import (
    Attendance,
    CommitmentJob,
    DrawCommitment,
    Mandate,
    Member,
    MemberStatus,
    Minutes,
    MotionKind,
    MotionStatus,
    MotionVote,
    Session,
    Volunteer,
    VoteChoice,
)
from assembly.services import composition, draw, recruitment, sessions, votes
from assembly.services import recommendations as recommendation_services
from assembly.services.commitment import commitment_request
from civic.errors import DomainError
from civic.models import User
from civic.roles import Role, has_role

# The clerk's desk for a session: each button posts an `action`, done by one named step below.
SessionAction = Callable[[HttpRequest, Session, User], None]


def _session_open(request: HttpRequest, session: Session, actor: User) -> None:
    sessions.session_open(session_id=session.pk, actor=actor)


def _session_close(request: HttpRequest, session: Session, actor: User) -> None:
    sessions.session_close(session_id=session.pk, actor=actor)


def _agenda_item_add(request: HttpRequest, session: Session, actor: User) -> None:
    item_form = AgendaItemForm(request.POST)
    if not item_form.is_valid():
        raise DomainError(_("Point incomplet."), code="invalid")
    sessions.agenda_item_add(session_id=session.pk, actor=actor, **item_form.cleaned_data)


def _agenda_publish(request: HttpRequest, session: Session, actor: User) -> None:
    sessions.session_publish_agenda(session_id=session.pk, actor=actor)


def _motion_create(request: HttpRequest, session: Session, actor: User) -> None:
    form = MotionForm(request.POST)
    if not form.is_valid():
        raise DomainError(_("Motion incomplète."), code="invalid")
    data = form.cleaned_data
    votes.motion_create(
        session_id=session.pk,
        actor=actor,
        title=data["title"],
        text=data["text"],
        majority=data["majority"],
        kind=data["kind"],
        minutes_session_id=data["minutes_session"]
        if data["kind"] == MotionKind.MINUTES_APPROVAL
        else None,
    )


def _motion_open(request: HttpRequest, session: Session, actor: User) -> None:
    votes.motion_open(motion_id=posted_id(request.POST.get("motion")), actor=actor)


def _motion_close(request: HttpRequest, session: Session, actor: User) -> None:
    votes.motion_close(motion_id=posted_id(request.POST.get("motion")), actor=actor)


def _votes_record(request: HttpRequest, session: Session, actor: User) -> None:
    motion_id = posted_id(request.POST.get("motion"))
    for key, choice in request.POST.items():
        if (
            key.startswith("vote_")
            and key[5:].isdigit()
            and isinstance(choice, str)
            and choice in VoteChoice.values
        ):
            votes.vote_record(
                motion_id=motion_id, member_id=int(key[5:]), choice=choice, actor=actor
            )


SESSION_ACTIONS: dict[str, SessionAction] = {
    "open": _session_open,
    "close": _session_close,
    "agenda_item": _agenda_item_add,
    "publish_agenda": _agenda_publish,
    "attendance": clerk_records.attendance_record,
    "motion": _motion_create,
    "motion_open": _motion_open,
    "motion_close": _motion_close,
    "votes": _votes_record,
    "minutes_edit": clerk_records.minutes_edit,
    "minutes_publish": clerk_records.minutes_publish,
    "approve_minutes": clerk_records.minutes_approve,
}


def _clerk_action(request: HttpRequest, session: Session) -> None:
    step = SESSION_ACTIONS.get(request.POST.get("action", ""))
    if step is None:
        raise DomainError(_("Action inconnue."), code="unknown_action")
    step(request, session, cast(User, request.user))


@login_required
@require_http_methods(["GET", "POST"])
def clerk_session(request: HttpRequest, pk: int) -> HttpResponse:
    if not has_role(request.user, Role.ASSEMBLY_CLERK):
        raise PermissionDenied
    session = get_object_or_404(Session.objects.select_related("mandate"), pk=pk)
    if request.method == "POST":
        try:
            _clerk_action(request, session)
        except DomainError as exc:
            messages.error(request, str(exc.detail))
        else:
            messages.success(request, _("Enregistré."))
        return redirect("assembly:clerk-session", pk=pk)
    members = list(Member.objects.filter(mandate_id=session.mandate_id, status=MemberStatus.ACTIVE))
    present = set(
        Attendance.objects.filter(session=session, present=True).values_list("member_id", flat=True)
    )
    motions = list(session.motions.order_by("id"))
    recorded = {
        (v.motion_id, v.member_id): v.choice
        for v in MotionVote.objects.filter(motion__session=session)
    }
    open_motions = [
        {
            "motion": m,
            "rows": [
                {"member": mb, "choice": recorded.get((m.pk, mb.pk), "")}
                for mb in members
                if mb.pk in present
            ],
        }
        for m in motions
        if m.status == MotionStatus.OPEN
    ]
    minutes = Minutes.objects.filter(session=session).first()
    pending_minutes = Minutes.objects.filter(
        session__mandate_id=session.mandate_id,
        status="draft",
        session__starts_at__lt=session.starts_at,
    ).select_related("session")
    return render(
        request,
        "assembly/clerk_session.html",
        {
            "session": session,
            "attendance": selectors.attendance_sheet(session, members, present),
            "quorum": votes.quorum_status(session),
            "motions": motions,
            "open_motions": open_motions,
            "motion_form": MotionForm(),
            "agenda_form": AgendaItemForm(),
            "minutes": minutes,
            "minutes_form": MinutesForm(initial={"body": minutes.body}) if minutes else None,
            "pending_minutes": pending_minutes,
            "vote_choices": VoteChoice.choices,
        },
    )


def _form_or_refuse(form: Any) -> dict[str, Any]:
    if not form.is_valid():
        errors = " ; ".join(
            _("%(item)s : %(detail)s")
            % {
                "item": form.fields[name].label if name in form.fields else name,
                "detail": " ".join(messages_),
            }
            for name, messages_ in form.errors.items()
        )
        raise DomainError(
            _("Formulaire incomplet : %(errors)s") % {"errors": errors}, code="invalid"
        )
    return dict(form.cleaned_data)


# The clerk's desk for a mandate: one named step per `action`; a step returns the message for the
# clerk when "saved" is not the right one.
MandateAction = Callable[[HttpRequest, Mandate, User], str | None]


def _recruitment_open(request: HttpRequest, mandate: Mandate, actor: User) -> str | None:
    composition.mandate_open_recruitment(mandate_id=mandate.pk, actor=actor)
    return None


def _invitations_draw(request: HttpRequest, mandate: Mandate, actor: User) -> str | None:
    data = _form_or_refuse(InvitationsForm(request.POST))
    batch = recruitment.invitations_commit(mandate_id=mandate.pk, actor=actor, count=data["count"])
    done = _("Lot engagé ; empreinte de sa graine : %(digest)s. Tirez-le maintenant.")
    return done % {"digest": batch.seed_digest}


def _invitations_batch_draw(request: HttpRequest, mandate: Mandate, actor: User) -> str | None:
    batch_id = posted_id(request.POST.get("batch"))
    recruitment.invitations_draw(mandate_id=mandate.pk, batch_id=batch_id, actor=actor)
    return None


def _commitment_request(request: HttpRequest, mandate: Mandate, actor: User) -> str | None:
    data = _form_or_refuse(CommitmentForm(request.POST))
    # The lottery of a large pool takes a minute of solver time: a worker computes it.
    commitment_request(mandate_id=mandate.pk, actor=actor, **data)
    return _(
        "Calcul de l'engagement lancé. Il peut durer quelques minutes : "
        "actualisez la page pour voir le résultat."
    )


def _draw_run(request: HttpRequest, mandate: Mandate, actor: User) -> str | None:
    draw.draw_run(mandate_id=mandate.pk, actor=actor)
    return None


def _member_leave(request: HttpRequest, mandate: Mandate, actor: User) -> str | None:
    members = Member.objects.filter(mandate=mandate, status=MemberStatus.ACTIVE)
    data = _form_or_refuse(LeaveForm(request.POST, members=members))
    draw.member_leave(member_id=data["member"], actor=actor, reason=data["reason"])
    return None


def _session_create(request: HttpRequest, mandate: Mandate, actor: User) -> str | None:
    data = _form_or_refuse(SessionForm(request.POST))
    sessions.session_create(mandate_id=mandate.pk, actor=actor, **data)
    return None


def _recommendation_refer(request: HttpRequest, mandate: Mandate, actor: User) -> str | None:
    data = _form_or_refuse(ReferForm(request.POST))
    recommendation_services.recommendation_refer(
        recommendation_id=posted_id(request.POST.get("recommendation")), actor=actor, **data
    )
    return None


def _recommendation_answer(request: HttpRequest, mandate: Mandate, actor: User) -> str | None:
    data = _form_or_refuse(AnswerForm(request.POST))
    recommendation_services.recommendation_answer(
        recommendation_id=posted_id(request.POST.get("recommendation")), actor=actor, **data
    )
    return None


def _referendum_ask(request: HttpRequest, mandate: Mandate, actor: User) -> str | None:
    recommendation_services.recommendation_convert_to_referendum(
        recommendation_id=posted_id(request.POST.get("recommendation")), actor=actor
    )
    return _(
        "Projet de référendum demandé : le module des référendums le crée dans quelques "
        "instants, puis la recommandation indique qu'elle est transformée."
    )


MANDATE_ACTIONS: dict[str, MandateAction] = {
    "recruit": _recruitment_open,
    "invitations": _invitations_draw,
    "invitations_draw": _invitations_batch_draw,
    "commitment": _commitment_request,
    "draw": _draw_run,
    "leave": _member_leave,
    "session": _session_create,
    "refer": _recommendation_refer,
    "answer": _recommendation_answer,
    "referendum": _referendum_ask,
}


def _clerk_mandate_action(request: HttpRequest, mandate: Mandate) -> str | None:
    step = MANDATE_ACTIONS.get(request.POST.get("action", ""))
    if step is None:
        raise DomainError(_("Action inconnue."), code="unknown_action")
    if "seed" in request.POST or "seed_source" in request.POST:
        raise DomainError(
            _("L'aléa ne se saisit pas : il vient du tour public nommé par l'engagement."),
            code="seed_not_accepted",
        )
    return step(request, mandate, cast(User, request.user))


@login_required
@require_http_methods(["GET", "POST"])
def clerk_mandate(request: HttpRequest, pk: int) -> HttpResponse:
    """The clerk's desk for a mandate: recruitment, commitment, draw, departures, sessions and the
    follow-up of recommendations."""
    if not has_role(request.user, Role.ASSEMBLY_CLERK):
        raise PermissionDenied
    mandate = get_object_or_404(Mandate, pk=pk)
    if request.method == "POST":
        try:
            done = _clerk_mandate_action(request, mandate)
        except DomainError as exc:
            messages.error(request, str(exc.detail))
        else:
            messages.success(request, done or _("Enregistré."))
        return redirect("assembly:clerk-mandate", pk=pk)
    members = list(Member.objects.filter(mandate=mandate, status=MemberStatus.ACTIVE))
    job = CommitmentJob.objects.filter(mandate=mandate).first()
    commitment_initial = (
        {
            # The format of <input type="datetime-local">.
            "seed_expected_at": timezone.localtime(job.seed_expected_at).strftime("%Y-%m-%dT%H:%M"),
        }
        if job
        else {}
    )
    return render(
        request,
        "assembly/clerk_mandate.html",
        {
            "mandate": mandate,
            "volunteers": Volunteer.objects.filter(
                mandate=mandate, withdrawn_at__isnull=True
            ).count(),
            "invitations": mandate.invitations.count(),
            "commitment": DrawCommitment.objects.filter(mandate=mandate).first(),
            "commitment_job": job,
            "composition": selectors.composition(mandate=mandate),
            "members": members,
            "reserves": mandate.reserves.select_related("volunteer").order_by("rank"),
            "sessions": Session.objects.filter(mandate=mandate).order_by("-starts_at"),
            "recommendations": selectors.recommendation_list(mandate=mandate),
            "invitations_form": InvitationsForm(),
            "commitment_form": CommitmentForm(initial=commitment_initial),
            "pending_batch": selectors.invitation_batch_pending(mandate=mandate),
            "leave_form": LeaveForm(members=members),
            "session_form": SessionForm(),
            "refer_form": ReferForm(),
            "answer_form": AnswerForm(),
        },
    )
