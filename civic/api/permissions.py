"""Permission classes shared by the apps' API views."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.permissions import BasePermission

from civic.errors import PermissionDenied
from civic.roles import Role, has_role
from civic.second_factor import CODE as SECOND_FACTOR_REQUIRED
from civic.second_factor import second_factor_missing


class IsVerifiedResident(BasePermission):
    message = "A verified account is required."
    code = "not_verified"

    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(request.user.is_authenticated and request.user.is_verified)


def role_permission(*roles: str) -> type[BasePermission]:
    """`permission_classes = [role_permission(Role.MODERATOR)]`: staff holding one of `roles`."""

    class HasRole(BasePermission):
        message = "This action is reserved to staff with the required role."

        def has_permission(self, request: Any, view: Any) -> bool:
            if second_factor_missing(request.user):
                raise PermissionDenied(
                    _("Activez une double authentification avant d'utiliser l'API des agents."),
                    code=SECOND_FACTOR_REQUIRED,
                )
            return has_role(request.user, *roles)

    HasRole.__name__ = "HasRole_" + "_".join(roles)
    return HasRole


IsStaffMember = role_permission(*Role.values)
