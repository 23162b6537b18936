"""Admin for the clerk: configuration (mandates, criteria, quotas, sessions, agenda) is edited here;
every state change goes through an admin action that calls a service."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from assembly.models import (
    AgendaItem,
    DrawCommitment,
    Feature,
    Mandate,
    Member,
    Quota,
    Recommendation,
    Reserve,
    Session,
)
from assembly.services import composition, configuration, draw, sessions
from assembly.services.configuration import MANDATE_FIELDS, SESSION_FIELDS
from civic.admin_services import ServiceAdminMixin
from civic.errors import DomainError
from civic.models import User


def _run(modeladmin: admin.ModelAdmin[Any], request: HttpRequest, call: Any) -> None:
    try:
        call()
    except DomainError as exc:
        modeladmin.message_user(request, str(exc.detail), level=messages.ERROR)
    else:
        modeladmin.message_user(request, _("Fait."), level=messages.SUCCESS)


class FeatureInline(admin.TabularInline):
    """Shown on the mandate; criteria are added and edited on their own page (through services)."""

    model = Feature
    extra = 0
    show_change_link = True
    fields = ["key", "label", "kind"]
    readonly_fields = ["key", "label", "kind"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Mandate)
class MandateAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Settings through `configuration.mandate_change` (frozen fields, audit); states by action."""

    list_display = ["title", "starts_on", "ends_on", "size", "status"]
    readonly_fields = ["status", "invitation_count"]
    inlines = [FeatureInline]
    actions = ["open_recruitment", "close"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        actor = cast(User, request.user)
        fields = {k: form.cleaned_data[k] for k in MANDATE_FIELDS if k in form.cleaned_data}
        if change:
            configuration.mandate_change(mandate_id=obj.pk, actor=actor, **fields)
            return
        mandate = composition.mandate_create(actor=actor, **fields)
        obj.pk = mandate.pk
        obj._state.adding = False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a mandate's history stays; it is closed, not deleted

    @admin.action(description=_("Clore le mandat"))
    def close(self, request: HttpRequest, queryset: QuerySet[Mandate]) -> None:
        for mandate in queryset:
            _run(
                self,
                request,
                lambda m=mandate: composition.mandate_close(
                    mandate_id=m.pk, actor=cast(User, request.user)
                ),
            )

    @admin.action(description=_("Ouvrir l'appel aux volontaires"))
    def open_recruitment(self, request: HttpRequest, queryset: QuerySet[Mandate]) -> None:
        for mandate in queryset:
            _run(
                self,
                request,
                lambda m=mandate: composition.mandate_open_recruitment(
                    mandate_id=m.pk, actor=cast(User, request.user)
                ),
            )


class QuotaInline(admin.TabularInline):
    model = Quota
    extra = 0


@admin.register(Feature)
class FeatureAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Criteria and quotas through the composition services: frozen once volunteers signed up
    (criteria, values) or the draw was committed (seats), audited."""

    list_display = ["label", "key", "kind", "mandate"]
    inlines = [QuotaInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["mandate"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        actor = cast(User, request.user)
        if change:
            composition.feature_change(
                feature_id=obj.pk, actor=actor, key=obj.key, label=obj.label, kind=obj.kind
            )
            return
        feature = composition.feature_add(
            mandate_id=obj.mandate_id,
            actor=actor,
            key=obj.key,
            label=obj.label,
            kind=obj.kind,
            quotas=[],
        )
        obj.pk = feature.pk
        obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        composition.feature_delete(feature_id=obj.pk, actor=cast(User, request.user))

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        actor = cast(User, request.user)
        quotas = formset.save(commit=False)
        for quota in formset.deleted_objects:
            composition.quota_delete(quota_id=quota.pk, actor=actor)
        for quota in quotas:
            values = {
                "value": quota.value,
                "label": quota.label,
                "min": quota.min,
                "max": quota.max,
            }
            if quota.pk is None:
                composition.quota_add(feature_id=form.instance.pk, actor=actor, **values)
            else:
                composition.quota_change(quota_id=quota.pk, actor=actor, **values)


@admin.register(DrawCommitment)
class DrawCommitmentAdmin(admin.ModelAdmin):
    list_display = ["mandate", "digest", "published_at", "seed_expected_at", "seed"]
    exclude = ["payload"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["first_name", "district_name", "seat", "status", "source", "mandate"]
    list_filter = ["mandate", "status"]
    readonly_fields = [f.name for f in Member._meta.fields]
    actions = ["leave"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Départ du membre (remplacement par la réserve)"))
    def leave(self, request: HttpRequest, queryset: QuerySet[Member]) -> None:
        for member in queryset:
            _run(
                self,
                request,
                lambda m=member: draw.member_leave(member_id=m.pk, actor=cast(User, request.user)),
            )


@admin.register(Reserve)
class ReserveAdmin(admin.ModelAdmin):
    list_display = ["rank", "volunteer", "status", "mandate"]
    list_filter = ["mandate"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    extra = 0
    fields = ["position", "title", "duration_minutes", "source_kind", "source_id"]
    readonly_fields = ["position", "source_kind", "source_id"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # items are added through the service (capacity, uniqueness, audit)


@admin.register(Session)
class SessionAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Sessions and their agenda items through the services (open agenda only, capacity, audit)."""

    list_display = ["title", "starts_at", "place", "status", "mandate"]
    list_filter = ["mandate", "status"]
    readonly_fields = [
        "status",
        "agenda_published_at",
        "reminder_sent_at",
        "opened_at",
        "closed_at",
    ]
    inlines = [AgendaItemInline]
    actions = ["publish_agenda"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(self.readonly_fields)
        return [*fields, "mandate"] if obj is not None else fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        actor = cast(User, request.user)
        values = {k: form.cleaned_data[k] for k in SESSION_FIELDS}
        if change:
            configuration.session_change(session_id=obj.pk, actor=actor, **values)
            return
        session = sessions.session_create(mandate_id=obj.mandate_id, actor=actor, **values)
        obj.pk = session.pk
        obj._state.adding = False

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        actor = cast(User, request.user)
        items = formset.save(commit=False)
        for item in formset.deleted_objects:
            configuration.agenda_item_delete(item_id=item.pk, actor=actor)
        for item in items:
            configuration.agenda_item_change(
                item_id=item.pk,
                actor=actor,
                title=item.title,
                description=item.description,
                duration_minutes=item.duration_minutes,
            )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a session is cancelled (with its reason), never deleted

    @admin.action(description=_("Publier l'ordre du jour"))
    def publish_agenda(self, request: HttpRequest, queryset: QuerySet[Session]) -> None:
        for session in queryset:
            _run(
                self,
                request,
                lambda s=session: sessions.session_publish_agenda(
                    session_id=s.pk, actor=cast(User, request.user)
                ),
            )


@admin.register(Recommendation)
class RecommendationAdmin(admin.ModelAdmin):
    """Read-only: a recommendation is the assembly's adopted text; it is referred, answered and
    converted through the clerk's pages, which call the services."""

    list_display = ["title", "status", "answer_due", "mandate"]
    list_filter = ["status"]
    readonly_fields = [
        "status",
        "referred_at",
        "answered_at",
        "target_kind",
        "target_id",
        "reminder_sent_at",
        "overdue_notified_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
