"""Recommendations: referred to the council with a tracked answer, or turned into a referendum
campaign draft (asked of the referendums app by an event; it owns the draft, we keep its kind and
id when it reports the draft back)."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from assembly.models import Motion, Recommendation, RecommendationStatus
from civic.audit import audit_record
from civic.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, RuleViolation
from civic.events import publish
from civic.models import User
from civic.notifications import notify
from civic.roles import Role, has_role

REMIND_BEFORE = timedelta(days=14)
REFERENDUM_TARGET_KIND = "referendums.campaign"


def recommendation_from_motion(*, motion: Motion, actor: User | None) -> Recommendation:
    """An adopted recommendation motion becomes a recommendation (once per motion)."""
    recommendation, created = Recommendation.objects.get_or_create(
        motion=motion,
        defaults={
            "mandate_id": motion.session.mandate_id,
            "title": motion.title,
            "text": motion.text or motion.title,
            "adopted_at": motion.closed_at or timezone.now(),
        },
    )
    if created:
        audit_record(actor=actor, verb="assembly.recommendation_adopt", target=recommendation)
    return recommendation


def _locked(recommendation_id: int) -> Recommendation:
    try:
        return Recommendation.objects.select_for_update().get(pk=recommendation_id)
    except Recommendation.DoesNotExist:
        raise NotFound(_("Cette recommandation n'existe pas.")) from None


def recommendation_refer(
    *, recommendation_id: int, actor: User, answer_due: date
) -> Recommendation:
    if answer_due <= timezone.localdate():
        raise RuleViolation(_("L'échéance de réponse doit être future."), code="deadline_in_past")
    with transaction.atomic():
        rec = _locked(recommendation_id)
        if rec.status != RecommendationStatus.ADOPTED:
            raise InvalidTransition(
                _("Cette recommandation a déjà une suite."), code="already_followed_up"
            )
        rec.status = RecommendationStatus.REFERRED
        rec.referred_at = timezone.now()
        rec.answer_due = answer_due
        rec.save(update_fields=["status", "referred_at", "answer_due"])
        audit_record(
            actor=actor,
            verb="assembly.recommendation_refer",
            target=rec,
            after={"answer_due": answer_due},
        )
    return rec


def recommendation_answer(*, recommendation_id: int, actor: User, answer: str) -> Recommendation:
    if not answer.strip():
        raise RuleViolation(_("La réponse du conseil est vide."), code="answer_empty")
    with transaction.atomic():
        rec = _locked(recommendation_id)
        if rec.status != RecommendationStatus.REFERRED:
            raise InvalidTransition(
                _("Cette recommandation n'attend pas de réponse."), code="not_referred"
            )
        rec.status = RecommendationStatus.ANSWERED
        rec.council_answer = answer
        rec.answered_at = timezone.now()
        rec.save(update_fields=["status", "council_answer", "answered_at"])
        audit_record(
            actor=actor, verb="assembly.recommendation_answer", target=rec, after={"answer": answer}
        )
    return rec


def recommendation_mark_converted(
    *, recommendation_id: int, actor: User | None, target_kind: str, target_id: int
) -> Recommendation:
    """Record that the referendum campaign draft `(target_kind, target_id)` was made from this
    recommendation (the referendums app reports it with an event once the draft exists). Hearing it
    again for the same draft changes nothing; another draft for a converted recommendation, or a
    draft already linked to another recommendation, raises."""
    with transaction.atomic():
        rec = _locked(recommendation_id)
        if (rec.status, rec.target_kind, rec.target_id) == (
            RecommendationStatus.REFERENDUM,
            target_kind,
            target_id,
        ):
            return rec
        if rec.status not in (RecommendationStatus.ADOPTED, RecommendationStatus.REFERENDUM_ASKED):
            raise InvalidTransition(
                _("Cette recommandation a déjà une suite."), code="already_followed_up"
            )
        rec.status = RecommendationStatus.REFERENDUM
        rec.referendum_asked_at = rec.referendum_asked_at or timezone.now()
        rec.target_kind, rec.target_id = target_kind, target_id
        try:
            with transaction.atomic():
                rec.save(
                    update_fields=["status", "referendum_asked_at", "target_kind", "target_id"]
                )
        except IntegrityError:
            raise Conflict(
                _("Ce projet de référendum est déjà lié."), code="target_taken"
            ) from None
        audit_record(
            actor=actor,
            verb="assembly.recommendation_to_referendum",
            target=rec,
            after={"target_kind": target_kind, "target_id": target_id},
        )
    return rec


def recommendation_convert_to_referendum(*, recommendation_id: int, actor: User) -> Recommendation:
    """Ask the referendums app for a draft consultation made from an adopted recommendation. The
    recommendation says "asked" until that app reports the draft (`recommendation_mark_converted`).
    The clerk (or a campaign manager) may ask; the right is checked now, as the clerk asks."""
    if not has_role(actor, Role.ASSEMBLY_CLERK, Role.CAMPAIGN_MANAGER):
        raise PermissionDenied(_("Action réservée au greffe de l'assemblée."))
    with transaction.atomic():
        rec = _locked(recommendation_id)
        if rec.status != RecommendationStatus.ADOPTED:
            raise InvalidTransition(
                _("Cette recommandation a déjà une suite."), code="already_followed_up"
            )
        rec.status = RecommendationStatus.REFERENDUM_ASKED
        rec.referendum_asked_at = timezone.now()
        rec.save(update_fields=["status", "referendum_asked_at"])
        audit_record(actor=actor, verb="assembly.recommendation_referendum_ask", target=rec)
        publish(
            "assembly.recommendation_referred",
            recommendation_id=rec.pk,
            mandate_id=rec.mandate_id,
            title=rec.title,
            text=rec.text,
            source_url=reverse("assembly:recommendations", args=[rec.mandate_id]),
            actor_id=actor.pk,
        )
    return rec


def _clerks() -> list[User]:
    group = Group.objects.filter(name=Role.ASSEMBLY_CLERK).first()
    query = Q(is_superuser=True)
    if group is not None:
        query |= Q(groups=group)
    return list(User.objects.filter(query, is_active=True).distinct())


def council_deadlines_remind() -> int:
    """Remind the clerks of answers due within REMIND_BEFORE, and again once overdue. Each reminder
    is claimed by a guarded update, so a repeated or racing run sends nothing twice."""
    today = timezone.localdate()
    sent = 0
    due_soon = Recommendation.objects.filter(
        status=RecommendationStatus.REFERRED,
        reminder_sent_at__isnull=True,
        answer_due__lte=today + REMIND_BEFORE,
        answer_due__gte=today,
    ).values_list("pk", flat=True)
    overdue = Recommendation.objects.filter(
        status=RecommendationStatus.REFERRED, overdue_notified_at__isnull=True, answer_due__lt=today
    ).values_list("pk", flat=True)
    for pk in list(due_soon):
        with transaction.atomic():
            if Recommendation.objects.filter(pk=pk, reminder_sent_at__isnull=True).update(
                reminder_sent_at=timezone.now()
            ):
                sent += _tell_clerks(pk, overdue=False)
    for pk in list(overdue):
        with transaction.atomic():
            if Recommendation.objects.filter(pk=pk, overdue_notified_at__isnull=True).update(
                overdue_notified_at=timezone.now()
            ):
                sent += _tell_clerks(pk, overdue=True)
    return sent


def _tell_clerks(pk: int, *, overdue: bool) -> int:
    rec = Recommendation.objects.get(pk=pk)
    assert rec.answer_due is not None
    subject = (
        _("Réponse du conseil en retard : %(title)s")
        if overdue
        else _("Réponse du conseil attendue : %(title)s")
    ) % {"title": rec.title[:150]}
    body = _("Échéance de réponse du conseil municipal : %(due)s.") % {
        "due": rec.answer_due.strftime("%d/%m/%Y")
    }
    clerks = _clerks()
    for clerk in clerks:
        notify(
            recipient=clerk,
            kind="assembly.council_deadline",
            subject=subject,
            body=body,
            url=reverse("assembly:recommendations", args=[rec.mandate_id]),
        )
    return len(clerks)
