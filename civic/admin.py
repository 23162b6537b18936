from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from civic.admin_readonly import ReadOnlyAdminMixin
from civic.admin_services import ServiceAdminMixin, run_service
from civic.audit import audit_record
from civic.legal import admin as legal_admin  # noqa: F401 - registers the legal pages' screen
from civic.models import (
    AuditEntry,
    District,
    Notification,
    RegisterEntry,
    RegisterImport,
    RegisterStrikeOff,
    StrikeOffReason,
    User,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscriber,
)
from civic.roles import may_read_register
from civic.services.register import register_entry_save
from civic.services.staff import user_account_save, user_roles_set
from civic.services.staff_sso import staff_sso_authorise, staff_sso_revoke
from civic.services.strike_offs import register_strike_off, register_strike_off_reverse
from civic.webhook_destinations import UnsafeDestination, resolve_destination
from civic.webhooks import webhook_resume


@admin.register(User)
class UserAdmin(ServiceAdminMixin, BaseUserAdmin):
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
    actions = ["authorise_staff_sso", "revoke_staff_sso"]

    @admin.action(description=_("Autoriser la connexion unique du personnel (ProConnect)"))
    def authorise_staff_sso(self, request: HttpRequest, queryset: Any) -> None:
        """The binding an administrator records beforehand (civic/services/staff_sso.py)."""
        done = 0
        for user in queryset:
            done += run_service(
                self,
                request,
                lambda u=user: staff_sso_authorise(
                    admin=request.user,  # type: ignore[arg-type]
                    user_id=u.pk,
                    issuer=settings.STAFF_OIDC_ISSUER,
                ),
            )
        if done:
            self.message_user(request, _("Comptes autorisés : %(n)s") % {"n": done})

    @admin.action(description=_("Retirer la connexion unique du personnel (ProConnect)"))
    def revoke_staff_sso(self, request: HttpRequest, queryset: Any) -> None:
        for user in queryset:
            run_service(
                self,
                request,
                lambda u=user: staff_sso_revoke(
                    admin=request.user,  # type: ignore[arg-type]
                    user_id=u.pk,
                    issuer=settings.STAFF_OIDC_ISSUER,
                ),
            )

    # Account fields and roles go through the services (checked, audited): the account save keeps
    # the roles stored, then `user_roles_set` takes the form's flags and groups.
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        user_account_save(
            user=obj,
            actor=request.user,  # type: ignore[arg-type]
            password_changed=change and "password" in form.changed_data,
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if change and "groups" in form.cleaned_data:
            user_roles_set(
                user_id=form.instance.pk,
                actor=request.user,  # type: ignore[arg-type]
                groups=[g.name for g in form.cleaned_data["groups"]],
                is_active=form.cleaned_data["is_active"],
                is_staff=form.cleaned_data["is_staff"],
                is_superuser=form.cleaned_data["is_superuser"],
            )
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


class RegisterReadersOnly:
    """The register entry by entry is for the roles that need it (civic.roles.REGISTER_READERS);
    the other staff roles hold the app's view permission for its other models and see the
    register's figures by district on /staff/registre/."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_read_register(request.user) and super().has_view_permission(  # type: ignore[misc]
            request, obj
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_read_register(request.user) and super().has_change_permission(  # type: ignore[misc]
            request, obj
        )


@admin.register(RegisterEntry)
class RegisterEntryAdmin(RegisterReadersOnly, ServiceAdminMixin, admin.ModelAdmin):
    """Entries are created and corrected through `register_entry_save` (identity hash recomputed,
    audited) and struck off through the strike-off service; never deleted (signatures refer to
    them)."""

    list_display = ["ref", "last_name", "first_names", "kind", "district", "active"]
    list_filter = ["kind", "district", "active"]
    search_fields = ["ref", "last_name", "roll_number"]
    readonly_fields = [
        "identity_hash",
        "active",
        "struck_off_at",
        "struck_off_reason",
        "imported_at",
        "updated_at",
    ]
    show_full_result_count = False
    actions = ["strike_off_left", "strike_off_annulled"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        register_entry_save(entry=obj, actor=request.user)  # type: ignore[arg-type]

    def _strike(self, request: HttpRequest, queryset: Any, reason: str) -> None:
        done = 0
        for entry in queryset:
            done += run_service(
                self,
                request,
                lambda e=entry: register_strike_off(
                    entry_id=e.pk,
                    actor=request.user,  # type: ignore[arg-type]
                    reason=reason,
                    note=str(_("Radiation depuis l'administration")),
                ),
            )
        if done:
            self.message_user(request, _("Inscriptions radiées : %(n)s") % {"n": done})

    @admin.action(description=_("Radier : a quitté la liste (signatures conservées)"))
    def strike_off_left(self, request: HttpRequest, queryset: Any) -> None:
        self._strike(request, queryset, StrikeOffReason.LEFT_ROLL)

    @admin.action(description=_("Annuler l'inscription (signatures retirées)"))
    def strike_off_annulled(self, request: HttpRequest, queryset: Any) -> None:
        self._strike(request, queryset, StrikeOffReason.ANNULLED)


@admin.register(RegisterStrikeOff)
class RegisterStrikeOffAdmin(RegisterReadersOnly, admin.ModelAdmin):
    """The history of strike-offs; a strike-off in force is reversed by the action, audited."""

    list_display = ["entry", "struck_off_at", "reason", "register_import", "reversed_at"]
    list_filter = ["reason"]
    readonly_fields = [f.name for f in RegisterStrikeOff._meta.fields]
    actions = ["reverse"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Annuler la radiation (l'inscription redevient active)"))
    def reverse(self, request: HttpRequest, queryset: Any) -> None:
        for record in queryset:
            run_service(
                self,
                request,
                lambda r=record: register_strike_off_reverse(
                    strike_off_id=r.pk,
                    actor=request.user,  # type: ignore[arg-type]
                    note=str(_("Annulation depuis l'administration")),
                ),
            )


@admin.register(RegisterImport)
class RegisterImportAdmin(RegisterReadersOnly, admin.ModelAdmin):
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
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only for everyone, superusers included: the log is append-only."""

    list_display = ["id", "at", "actor_label", "verb", "target_type", "target_id"]
    list_filter = ["verb", "target_type"]
    search_fields = ["verb", "target_id", "actor_label"]
    show_full_result_count = False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "kind", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind"]
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class WebhookSubscriberForm(forms.ModelForm):
    """The shared secret is write-only: typed (or left blank to keep it), never shown again, to
    anyone, the auditor included. The receiving address is checked as deliveries check it."""

    events = forms.MultipleChoiceField(
        label=_("Événements"), choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )
    new_secret = forms.CharField(
        label=_("Secret partagé"),
        required=False,
        min_length=32,
        max_length=64,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "32 à 64 caractères, convenus avec le destinataire. Il n'est plus jamais affiché : "
            "pour le garder, laissez vide à la modification."
        ),
    )

    class Meta:
        model = WebhookSubscriber
        fields = ["name", "url", "events", "active"]

    def clean_url(self) -> str:
        url = str(self.cleaned_data["url"])
        try:
            resolve_destination(url)
        except UnsafeDestination as exc:
            raise forms.ValidationError(
                _("Adresse de réception refusée : %(reason)s"),
                code=exc.code,
                params={"reason": str(exc)},
            ) from exc
        return url

    def clean_new_secret(self) -> str:
        secret = str(self.cleaned_data.get("new_secret") or "")
        if not secret and self.instance.pk is None:
            # A secret drawn here could never be read by anyone, the receiver included.
            raise forms.ValidationError(
                _("Saisissez le secret convenu avec le destinataire."), code="required"
            )
        return secret

    def save(self, commit: bool = True) -> Any:
        if self.cleaned_data.get("new_secret"):
            self.instance.secret = self.cleaned_data["new_secret"]
        return super().save(commit=commit)


@admin.register(WebhookSubscriber)
class WebhookSubscriberAdmin(admin.ModelAdmin):
    form = WebhookSubscriberForm
    list_display = ["name", "url", "active", "paused_at", "consecutive_failures"]
    readonly_fields = ["paused_at", "consecutive_failures", "created_at", "created_by"]
    actions = ["resume"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields: list[str] = ["name", "url", "events", "active", *self.readonly_fields]
        if self.has_change_permission(request, obj) or (
            obj is None and self.has_add_permission(request)
        ):
            fields.insert(4, "new_secret")
        return fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,  # type: ignore[arg-type]
            verb="webhook.change" if change else "webhook.create",
            target=obj,
            after={
                "url": obj.url,
                "events": obj.events,
                "active": obj.active,
                "secret_changed": bool(form.cleaned_data.get("new_secret")),
            },
        )

    @admin.action(description=_("Réactiver les abonnés sélectionnés"))
    def resume(self, request: HttpRequest, queryset: Any) -> None:
        for subscriber in queryset:
            webhook_resume(subscriber_id=subscriber.pk, actor=request.user)  # type: ignore[arg-type]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: status, attempts, last answer."""

    list_display = [
        "created_at",
        "subscriber",
        "event",
        "status",
        "attempts",
        "last_status_code",
        "delivered_at",
    ]
    list_filter = ["status", "event", "subscriber"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
