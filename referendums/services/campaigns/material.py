"""The campaign's material: authorised campaigners and their arguments (equal space)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from civic.audit import audit_record
from civic.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from civic.models import User
from referendums import workflow
from referendums.models import Argument, Campaigner
from referendums.models.material import ARGUMENT_MAX_LENGTH
from referendums.services.common import campaign_locked, require_manager


def _refuse_after_campaign(status: str) -> None:
    if status not in workflow.BEFORE_VOTING:
        raise Conflict(_("La campagne est terminée."), code="campaign_not_editable")


def campaigner_authorise(
    *, campaign_id: int, actor: User, name: str, side: str, description: str = ""
) -> Campaigner:
    require_manager(actor)
    with transaction.atomic():
        campaign = campaign_locked(campaign_id)
        _refuse_after_campaign(campaign.status)
        campaigner, _created = Campaigner.objects.update_or_create(
            campaign=campaign,
            name=name,
            defaults={
                "side": side,
                "description": description,
                "authorised": True,
                "authorised_by": actor,
            },
        )
        audit_record(
            actor=actor,
            verb="referendum.campaigner_authorise",
            target=campaigner,
            after={"name": name, "side": side},
        )
    return campaigner


def argument_set(*, campaigner_id: int, actor: User, text_fr: str, text_en: str = "") -> Argument:
    """Equal space: every side's text has the same maximum length; only authorised campaigners."""
    require_manager(actor)
    if len(text_fr) > ARGUMENT_MAX_LENGTH or len(text_en) > ARGUMENT_MAX_LENGTH:
        raise RuleViolation(
            _("L'argumentaire dépasse %(n)s caractères.") % {"n": ARGUMENT_MAX_LENGTH},
            code="argument_too_long",
        )
    with transaction.atomic():
        # The campaign's row first, then the campaigner's: the order campaigner_authorise takes
        # them in. Locking the campaigner first (as a join locking both did) deadlocked two
        # concurrent POSTs of the same organisation.
        campaign_id = (
            Campaigner.objects.filter(pk=campaigner_id)
            .values_list("campaign_id", flat=True)
            .first()
        )
        if campaign_id is None:
            raise NotFound(_("Organisation introuvable."))
        campaign = campaign_locked(campaign_id)
        campaigner = Campaigner.objects.select_for_update(of=("self",)).get(pk=campaigner_id)
        if not campaigner.authorised:
            raise PermissionDenied(
                _("Organisation non habilitée."), code="campaigner_not_authorised"
            )
        _refuse_after_campaign(campaign.status)
        argument, _created = Argument.objects.update_or_create(
            campaigner=campaigner, defaults={"text_fr": text_fr, "text_en": text_en}
        )
        audit_record(
            actor=actor,
            verb="referendum.argument_set",
            target=argument,
            after={"campaigner": campaigner.pk, "length": len(text_fr)},
        )
    return argument
