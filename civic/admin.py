from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from civic.models import AuditEntry, District, Notification, RegisterEntry, RegisterImport, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "is_staff", "verified_at", "verification_method"]
    list_filter = ["is_staff", "is_superuser", "is_active", "verification_method", "groups"]
    search_fields = ["email", "display_name"]
    readonly_fields = [
        "register_entry",
        "verified_at",
        "verification_method",
        "verified_by",
        "last_login",
        "date_joined",
    ]
    fieldsets = (
        (None, {"fields": ("email", "password", "display_name", "language")}),
        (
            _("Vérification"),
            {"fields": ("register_entry", "verified_at", "verification_method", "verified_by")},
        ),
        (_("Rôles"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(RegisterEntry)
class RegisterEntryAdmin(admin.ModelAdmin):
    list_display = ["ref", "last_name", "first_names", "kind", "district", "active"]
    list_filter = ["kind", "district", "active"]
    search_fields = ["ref", "last_name", "roll_number"]
    readonly_fields = ["identity_hash", "imported_at", "updated_at"]
    show_full_result_count = False


@admin.register(RegisterImport)
class RegisterImportAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "filename",
        "actor",
        "rows_total",
        "created_count",
        "updated_count",
        "applied",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only for everyone, superusers included: the log is append-only."""

    list_display = ["id", "at", "actor_label", "verb", "target_type", "target_id"]
    list_filter = ["verb", "target_type"]
    search_fields = ["verb", "target_id", "actor_label"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "kind", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind"]
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
