"""The civic core's tasks on the staff home: the register, desk verification, the inbox, the
administration. Each link is shown only to the roles its page lets in."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from civic.models import User
from civic.notifications import unread_count
from civic.roles import Role, has_role, is_staff_member, may_read_register
from civic.staff import StaffSection, StaffTask


def accounts_to_verify() -> int:
    """Active resident accounts not yet linked to a register entry."""
    return User.objects.filter(
        is_active=True, is_staff=False, is_superuser=False, register_entry__isnull=True
    ).count()


def staff_section(user: Any) -> StaffSection | None:
    if not is_staff_member(user):
        return None
    tasks = [
        StaffTask(
            _("Messages non lus"),
            reverse("inbox"),
            count=unread_count(user=user),
        )
    ]
    if has_role(user, Role.MODERATOR):
        tasks.append(
            StaffTask(
                _("Comptes à vérifier au guichet"),
                reverse("staff-desk-verify"),
                count=accounts_to_verify(),
                hint=_("Comptes d'habitantes et d'habitants pas encore rattachés au registre."),
            )
        )
    if has_role(user, Role.ADMINISTRATOR):
        tasks.append(
            StaffTask(
                _("Importer la liste électorale ou le registre des résidents"),
                reverse("staff-register-import"),
            )
        )
    tasks.append(
        StaffTask(
            _("Registre : effectifs par quartier"),
            reverse("staff-register-counts"),
        )
    )
    if may_read_register(user):
        tasks.append(
            StaffTask(
                _("Consulter le registre inscription par inscription"),
                reverse("admin:civic_registerentry_changelist"),
            )
        )
    tasks.append(StaffTask(_("Administration"), reverse("admin:index")))
    return StaffSection(_("Registre, comptes et messages"), tasks, order=10)
