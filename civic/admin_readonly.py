"""One mixin for the admin screens that show records nobody edits by hand (results, logs, what a
service wrote): staff may list and view them; adding, changing and deleting are denied."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


class ReadOnlyAdminMixin:
    """Put it before `admin.ModelAdmin` (or an inline) in the bases. A screen that still lets
    staff add through a service overrides `has_add_permission` only."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
