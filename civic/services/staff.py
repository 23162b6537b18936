"""Staff changes to accounts: roles (groups, staff and superuser flags, active) and account fields,
checked and audited. The admin's user pages call these and nothing else."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext as _

from civic.audit import audit_record
from civic.errors import NotFound, PermissionDenied, RuleViolation
from civic.models import User

ROLE_FLAGS = ("is_active", "is_staff", "is_superuser")
# Fields a staff member may change on an account besides its roles (never verification facts).
ACCOUNT_FIELDS = ("email", "display_name", "language")


def _roles_of(user: User) -> dict[str, object]:
    return {
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "groups": sorted(user.groups.values_list("name", flat=True)),
    }


def user_roles_set(
    *,
    user_id: int,
    actor: User,
    is_active: bool,
    is_staff: bool,
    is_superuser: bool,
    groups: Sequence[str],
) -> User:
    """Set an account's roles. Only a superuser grants or removes superuser status; nobody
    removes their own superuser or administrator role by mistake here (another must do it)."""
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            raise NotFound(_("Ce compte n'existe pas."))
        before = _roles_of(user)
        if is_superuser != user.is_superuser and not actor.is_superuser:
            raise PermissionDenied(
                _("Seul un super-utilisateur peut accorder ou retirer ce statut."),
                code="superuser_only",
            )
        if user.pk == actor.pk and (
            (user.is_superuser and not is_superuser) or (user.is_active and not is_active)
        ):
            raise RuleViolation(
                _("Vous ne pouvez pas retirer vos propres droits ; demandez-le à un autre."),
                code="own_roles",
            )
        wanted = list(Group.objects.filter(name__in=list(groups)))
        if len(wanted) != len(set(groups)):
            raise RuleViolation(_("Rôle inconnu."), code="unknown_role")
        user.is_active, user.is_staff, user.is_superuser = is_active, is_staff, is_superuser
        user.save(update_fields=list(ROLE_FLAGS))
        user.groups.set(wanted)
        after = _roles_of(user)
        if after != before:
            audit_record(
                actor=actor, verb="user.roles_set", target=user, before=before, after=after
            )
    return user


def user_account_save(*, user: User, actor: User, password_changed: bool = False) -> User:
    """Create an account or save its fields (the caller filled `user`, unsaved; roles are left as
    they are in the database: `user_roles_set` changes them). Audited without the values."""
    with transaction.atomic():
        if user.pk is None:
            user.is_staff = user.is_superuser = False
            user.save()
            audit_record(actor=actor, verb="user.create", target=user)
            return user
        current = User.objects.select_for_update().filter(pk=user.pk).first()
        if current is None:
            raise NotFound(_("Ce compte n'existe pas."))
        changed = [f for f in ACCOUNT_FIELDS if getattr(current, f) != getattr(user, f)]
        if password_changed:
            changed.append("password")
        if not changed:
            return current
        for flag in ROLE_FLAGS:
            setattr(user, flag, getattr(current, flag))
        fields = [f for f in changed if f != "password"]
        if password_changed:
            fields.append("password")
        user.save(update_fields=fields)
        audit_record(actor=actor, verb="user.change", target=user, after={"fields": changed})
    return user
