"""The admin calls services: a refusal from a service (frozen state, a rule, a race lost) comes back
to the staff member as a message on the page they were on, never as a server error."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from civic.errors import DomainError


class ServiceAdminMixin:
    """Mixed into a ModelAdmin whose save_model / save_formset / delete_model call services.

    Django runs the change form in one transaction: a DomainError raised by a service rolls every
    write of the form back, then the staff member sees why on the same page."""

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(  # type: ignore[misc]
                request, object_id, form_url, extra_context
            )
        except DomainError as exc:
            self.message_user(request, str(exc.detail), level=messages.ERROR)  # type: ignore[attr-defined]
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)  # type: ignore[misc]
        except DomainError as exc:
            self.message_user(request, str(exc.detail), level=messages.ERROR)  # type: ignore[attr-defined]
            return HttpResponseRedirect(request.get_full_path())


def run_service(modeladmin: admin.ModelAdmin[Any], request: HttpRequest, call: Any) -> bool:
    """Run one service call from an admin action; a refusal becomes an error message."""
    try:
        call()
    except DomainError as exc:
        modeladmin.message_user(request, str(exc.detail), level=messages.ERROR)
        return False
    return True
