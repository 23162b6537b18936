"""The legal pages' settings in the admin: one row, saved through the service."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from civic.admin_services import ServiceAdminMixin
from civic.auth import authenticated_user
from civic.legal.services import EDITABLE_FIELDS, legal_settings_update
from civic.models import LegalSettings


@admin.register(LegalSettings)
class LegalSettingsAdmin(ServiceAdminMixin, admin.ModelAdmin):
    fieldsets = [
        (
            _("Mentions légales"),
            {
                "fields": [
                    "publisher",
                    "publisher_address",
                    "publisher_contact",
                    "director",
                    "host",
                    "host_address",
                    "host_contact",
                    "legal_notice_extra",
                ]
            },
        ),
        (
            _("Données personnelles"),
            {"fields": ["controller", "dpo_contact", "recipients", "privacy_extra"]},
        ),
        (
            _("Accessibilité"),
            {
                "fields": [
                    "accessibility_status",
                    "audit_date",
                    "audit_version",
                    "audit_by",
                    "compliance_rate",
                    "non_conformities",
                    "accessibility_contact",
                    "multi_year_plan",
                ]
            },
        ),
        (_("Conditions d'utilisation"), {"fields": ["terms_extra"]}),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not LegalSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = legal_settings_update(
            actor=authenticated_user(request),
            changes={
                name: form.cleaned_data[name]
                for name in EDITABLE_FIELDS
                if name in form.cleaned_data
            },
        )
        obj.pk = saved.pk
