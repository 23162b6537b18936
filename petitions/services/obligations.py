"""What the city owes once a rung is reached: completion by staff, reminders, overdue flags."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic.audit import audit_record
from civic.errors import Conflict, DomainError, NotFound, PermissionDenied
from civic.events import publish
from civic.models import User
from civic.roles import Role, has_role
from petitions.models import Obligation, ObligationStatus
from petitions.selectors import count_version_bump
from petitions.services._common import moderators, notify_all, people_of


def _split_evidence(evidence: str) -> tuple[str, str]:
    evidence = evidence.strip()
    if not evidence:
        raise DomainError(
            _("Joignez un lien ou un texte : le compte rendu, la délibération."),
            code="evidence_required",
        )
    if evidence.startswith(("http://", "https://")) and " " not in evidence:
        try:
            URLValidator()(evidence)
        except ValidationError:
            return "", evidence
        return evidence[:200], ""
    return "", evidence


def obligation_complete(*, obligation_id: int, actor: User, evidence: str) -> Obligation:
    """Mark an obligation done with its evidence. Moderators, and the assembly clerk (the assembly
    completes the agenda obligations it takes up). Completing twice is refused with a clear code."""
    if not has_role(actor, Role.MODERATOR, Role.ASSEMBLY_CLERK):
        raise PermissionDenied(_("Action réservée aux agents."))
    url, text = _split_evidence(evidence)
    with transaction.atomic():
        if not _mark_done(obligation_id, actor=actor, url=url, text=text):
            status = (
                Obligation.objects.filter(pk=obligation_id).values_list("status", flat=True).first()
            )
            if status is None:
                raise NotFound(_("Engagement introuvable."), code="obligation_not_found")
            if status == ObligationStatus.SUSPENDED:
                raise Conflict(
                    _("Cet engagement est suspendu : le compte est repassé sous son seuil."),
                    code="obligation_suspended",
                    rule="CIVIC-RULES, invalidation",
                )
            raise Conflict(_("Cet engagement est déjà tenu."), code="obligation_already_done")
        return _announce_done(obligation_id, actor=actor, url=url, text=text)


def obligation_complete_examined(
    *, obligation_id: int, actor_id: int, evidence: str
) -> Obligation | None:
    """The assembly examined the initiative this obligation puts on its agenda (event
    `assembly.agenda_item_examined`): mark it done, audited as the clerk who closed the session.
    Already done (a repeated delivery, or staff were first) is a no-op: returns None."""
    url, text = _split_evidence(evidence)
    actor = User.objects.get(pk=actor_id)
    with transaction.atomic():
        if not _mark_done(obligation_id, actor=actor, url=url, text=text):
            return None
        return _announce_done(obligation_id, actor=actor, url=url, text=text)


def _mark_done(obligation_id: int, *, actor: User, url: str, text: str) -> bool:
    """The guarded UPDATE from open to done: True for the one caller that changed the row (the
    initiative's page, which shows it, changes once the transaction commits)."""
    done = Obligation.objects.filter(pk=obligation_id, status=ObligationStatus.OPEN).update(
        status=ObligationStatus.DONE,
        done_at=timezone.now(),
        done_by=actor,
        evidence_url=url,
        evidence_text=text,
    )
    if done:
        transaction.on_commit(count_version_bump)
    return bool(done)


def _announce_done(obligation_id: int, *, actor: User, url: str, text: str) -> Obligation:
    """Audit the completion and tell the initiative's people."""
    obligation = Obligation.objects.select_related("initiative__initiator").get(pk=obligation_id)
    audit_record(
        actor=actor,
        verb="obligation.done",
        target=obligation,
        before={"status": ObligationStatus.OPEN},
        after={"status": ObligationStatus.DONE, "evidence_url": url, "evidence_text": text},
    )
    initiative = obligation.initiative
    publish(
        "petitions.obligation_done",
        obligation_id=obligation.pk,
        initiative_id=initiative.pk,
        kind=obligation.kind,
    )
    notify_all(
        people_of(initiative),
        kind="petitions.obligation_done",
        subject=gettext_lazy("La ville a tenu un engagement"),
        body=format_lazy(
            gettext_lazy("Pour l'initiative « {title} » : {kind}."),
            title=initiative.title,
            kind=obligation.get_kind_display(),
        ),
        url=initiative.get_absolute_url(),
    )
    return obligation


def obligations_remind_due(*, days: int = 3) -> int:
    """Remind moderators once per obligation that its due date is near."""
    now = timezone.now()
    ids = list(
        Obligation.objects.filter(
            status=ObligationStatus.OPEN,
            reminded_at__isnull=True,
            due_at__gt=now,
            due_at__lte=now + timedelta(days=days),
        ).values_list("id", flat=True)
    )
    sent = 0
    for obligation_id in ids:
        with transaction.atomic():
            if not Obligation.objects.filter(pk=obligation_id, reminded_at__isnull=True).update(
                reminded_at=now
            ):
                continue
            obligation = Obligation.objects.select_related("initiative").get(pk=obligation_id)
            notify_all(
                moderators(),
                kind="petitions.obligation_due_soon",
                subject=gettext_lazy("Un engagement arrive à échéance"),
                body=format_lazy(
                    gettext_lazy("« {title} » : {kind}, à tenir avant le {due}."),
                    title=obligation.initiative.title,
                    kind=obligation.get_kind_display(),
                    due=timezone.localtime(obligation.due_at).strftime("%d/%m/%Y"),
                ),
                url=obligation.initiative.get_absolute_url(),
            )
            sent += 1
    return sent


def obligations_flag_overdue() -> int:
    """Flag, once, each open obligation past its due date: audited, and told to the promoters and
    moderators. The public pages and the API show overdue obligations from `due_at` directly."""
    now = timezone.now()
    ids = list(
        Obligation.objects.filter(
            status=ObligationStatus.OPEN, overdue_flagged_at__isnull=True, due_at__lte=now
        ).values_list("id", flat=True)
    )
    flagged = 0
    for obligation_id in ids:
        with transaction.atomic():
            if not Obligation.objects.filter(
                pk=obligation_id, overdue_flagged_at__isnull=True, status=ObligationStatus.OPEN
            ).update(overdue_flagged_at=now):
                continue
            obligation = Obligation.objects.select_related("initiative__initiator").get(
                pk=obligation_id
            )
            audit_record(
                actor=None,
                verb="obligation.overdue",
                target=obligation,
                after={"due_at": obligation.due_at},
            )
            notify_all(
                [*people_of(obligation.initiative), *moderators()],
                kind="petitions.obligation_overdue",
                subject=gettext_lazy("Un engagement de la ville est en retard"),
                body=format_lazy(
                    gettext_lazy("« {title} » : {kind}, attendu pour le {due}."),
                    title=obligation.initiative.title,
                    kind=obligation.get_kind_display(),
                    due=timezone.localtime(obligation.due_at).strftime("%d/%m/%Y"),
                ),
                url=obligation.initiative.get_absolute_url(),
            )
            flagged += 1
    return flagged
