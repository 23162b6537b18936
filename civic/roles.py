"""Staff roles: Django groups whose model permissions follow the apps, plus predicates for code.

A role is a group named after `Role`; `ROLE_GRANTS` says which apps' permissions it holds. Code asks
`has_role(user, Role.MODERATOR)`; the admin uses the model permissions the group carries.
Superusers hold every role.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import models
from django.utils.translation import gettext_lazy as _

from civic.second_factor import has_second_factor


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrateur")
    MODERATOR = "moderator", _("Modérateur (initiatives)")
    CAMPAIGN_MANAGER = "campaign_manager", _("Responsable de campagne (référendums)")
    ASSEMBLY_CLERK = "assembly_clerk", _("Greffier de l'assemblée")
    AUDITOR = "auditor", _("Auditeur (lecture seule)")


ALL_ACTIONS = ("view", "add", "change", "delete")
# role -> {app_label: actions}; "*" means every installed app.
ROLE_GRANTS: dict[str, dict[str, tuple[str, ...]]] = {
    Role.ADMINISTRATOR: {"*": ALL_ACTIONS},
    Role.MODERATOR: {"petitions": ALL_ACTIONS, "civic": ("view",)},
    Role.CAMPAIGN_MANAGER: {"referendums": ALL_ACTIONS, "civic": ("view",)},
    Role.ASSEMBLY_CLERK: {"assembly": ALL_ACTIONS, "civic": ("view",)},
    Role.AUDITOR: {"*": ("view",)},
}
# Nobody edits the audit log, whatever the role.
_NEVER = {
    ("civic", "change_auditentry"),
    ("civic", "delete_auditentry"),
    ("civic", "add_auditentry"),
}


def roles_sync() -> None:
    for role, grants in ROLE_GRANTS.items():
        group, _created = Group.objects.get_or_create(name=role)
        wanted = Permission.objects.none()
        for app_label, actions in grants.items():
            query = Permission.objects.filter(
                models.Q(
                    *[models.Q(codename__startswith=f"{a}_") for a in actions], _connector="OR"
                )
            )
            if app_label != "*":
                query = query.filter(content_type__app_label=app_label)
            wanted = wanted | query
        perms = [
            p
            for p in wanted.select_related("content_type").distinct()
            if (p.content_type.app_label, p.codename) not in _NEVER
        ]
        group.permissions.set(perms)


def roles_sync_after_migrate(sender: Any, **kwargs: Any) -> None:
    # Run once, after the last app: permissions of every app exist by then.
    from django.apps import apps

    if sender.name == list(apps.get_app_configs())[-1].name:
        roles_sync()


def has_role(user: Any, *roles: str) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if not (user.is_staff or user.is_superuser) or not has_second_factor(user):
        return False  # no role before a second factor (civic/second_factor.py)
    if user.is_superuser:
        return True
    names = _role_names(user)
    return Role.ADMINISTRATOR in names or any(role in names for role in roles)


def _role_names(user: Any) -> frozenset[str]:
    cached: frozenset[str] | None = getattr(user, "_civic_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._civic_roles = cached
    return cached


def is_staff_member(user: Any) -> bool:
    return has_role(user, *Role.values)


# Who may read the register entry by entry: the desk verification and paper signatures need the
# person's entry (moderators), the audit reads everything (auditors); administrators import it.
# Every other role needs figures only, and gets them by district (/staff/registre/).
REGISTER_READERS: tuple[str, ...] = (Role.MODERATOR, Role.AUDITOR)


def may_read_register(user: Any) -> bool:
    return has_role(user, *REGISTER_READERS)


def roles_held(user: Any) -> frozenset[str]:
    """The roles `user` acts with: every role for an administrator, none for a non-staff user."""
    return frozenset(role.value for role in Role if has_role(user, role))
