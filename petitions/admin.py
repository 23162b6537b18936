"""Admin: instruments and ladders (validated against the law), read-mostly initiatives whose
actions call the services, the registers of obligations and paper rejections."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from civic.admin_services import ServiceAdminMixin
from civic.errors import DomainError
from petitions import services
from petitions.models import (
    Initiative,
    InstrumentType,
    Obligation,
    PaperBatch,
    PaperRejection,
    RejectionReason,
    Rung,
)
from petitions.rules import LEGAL_SHARE, rung_violations
from petitions.services.instruments import instrument_type_save, rung_delete, rung_save
from petitions.services.rejection_reasons import rejection_reason_save


class RungFormSet(BaseInlineFormSet):
    """Validates the ladder against the instrument as edited in the same page."""

    def clean(self) -> None:
        super().clean()
        instrument: InstrumentType = self.instance
        kept = [
            f
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.instance is not None
        ]
        for form in kept:
            rung: Rung = form.instance
            rung.instrument_type = instrument
            try:
                rung_violations(rung)
            except ValidationError as exc:
                form.add_error(None, exc)
        legal = LEGAL_SHARE.get((instrument.legal_regime, instrument.collectivity))
        if legal is not None and not kept:
            raise ValidationError(
                _("%(article)s : la demande légale comporte un palier en part des électeurs.")
                % {"article": legal[1]}
            )


class RungInline(admin.TabularInline):
    model = Rung
    formset = RungFormSet
    extra = 0


@admin.register(InstrumentType)
class InstrumentTypeAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Every save goes through `instrument_type_save`, `rung_save` and `rung_delete`: validated
    against the law, refused while an initiative collects on the instrument, audited."""

    list_display = [
        "name",
        "slug",
        "legal_regime",
        "predicate",
        "window_days",
        "quarter_limit",
        "active",
    ]
    inlines = [RungInline]
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ["name", "name_en"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # an instrument leaves the residents' choice by `active`, kept for history

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        instrument_type_save(instrument=obj, actor=request.user)  # type: ignore[arg-type]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        rungs = formset.save(commit=False)
        for rung in formset.deleted_objects:
            rung_delete(rung_id=rung.pk, actor=request.user)  # type: ignore[arg-type]
        for rung in rungs:
            rung.instrument_type = form.instance
            rung_save(rung=rung, actor=request.user)  # type: ignore[arg-type]


@admin.register(RejectionReason)
class RejectionReasonAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Through `rejection_reason_save`: audited, and a reason already used keeps its wording."""

    list_display = ["label", "label_en", "code", "active"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        rejection_reason_save(reason=obj, actor=request.user)  # type: ignore[arg-type]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a reason is retired (unticked "actif"), never deleted


def _run(request: HttpRequest, queryset: QuerySet[Initiative], service: Any, done: str) -> None:
    ok = 0
    for initiative in queryset:
        try:
            service(initiative_id=initiative.pk, actor=request.user)
        except DomainError as exc:
            messages.error(
                request, _("%(item)s : %(detail)s") % {"item": initiative, "detail": exc.detail}
            )
        else:
            ok += 1
    if ok:
        messages.success(request, f"{done} ({ok})")


@admin.register(Initiative)
class InitiativeAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "initiator", "published_at", "closes_at"]
    list_filter = ["status", "district"]
    search_fields = ["title", "summary"]
    actions = ["start_review", "publish"]
    # The lifecycle goes through the services only (audited, notified): nothing is editable here.
    readonly_fields = [f.name for f in Initiative._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Commencer l'examen"))
    def start_review(self, request: HttpRequest, queryset: QuerySet[Initiative]) -> None:
        _run(request, queryset, services.initiative_review_start, str(_("Examen commencé")))

    @admin.action(description=_("Ouvrir la collecte"))
    def publish(self, request: HttpRequest, queryset: QuerySet[Initiative]) -> None:
        _run(request, queryset, services.initiative_publish, str(_("Collecte ouverte")))


@admin.register(Obligation)
class ObligationAdmin(admin.ModelAdmin):
    list_display = ["initiative", "kind", "due_at", "status", "done_at"]
    list_filter = ["status", "kind"]
    readonly_fields = [f.name for f in Obligation._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PaperBatch)
class PaperBatchAdmin(admin.ModelAdmin):
    """Read only: a batch is issued from the initiative's staff page (audited), never edited."""

    list_display = ["code", "initiative", "sheets", "issued_at", "issued_by"]
    search_fields = ["code"]
    readonly_fields = [f.name for f in PaperBatch._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PaperRejection)
class PaperRejectionAdmin(admin.ModelAdmin):
    list_display = ["initiative", "reason", "sheet_ref", "batch", "created_at", "entered_by"]
    list_filter = ["reason"]
    readonly_fields = [f.name for f in PaperRejection._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
