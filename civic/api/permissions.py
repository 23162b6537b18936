"""Permission classes shared by the apps' API views."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

from civic.roles import Role, has_role


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
            return has_role(request.user, *roles)

    HasRole.__name__ = "HasRole_" + "_".join(roles)
    return HasRole


IsStaffMember = role_permission(*Role.values)
