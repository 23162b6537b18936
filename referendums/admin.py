"""Staff screens. Ballots, receipts, participations and sealing keys have no admin at all: no
screen can show a ballot's content (or its district) while a vote is open, whatever the role.
Results appear on the campaign only once published. Every change goes through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from civic.admin_readonly import ReadOnlyAdminMixin
from civic.audit import audit_record
from civic.errors import DomainError
from referendums import workflow
from referendums.forms import CampaignAdminForm, calendar_refusals
from referendums.models import (
    Argument,
    Campaign,
    Campaigner,
    CampaignKind,
    CampaignStatus,
    Document,
    ElectoralCalendarEntry,
    Option,
    PollingStation,
    Question,
    ResultSheet,
    StationResult,
)
from referendums.models.campaigns import CREATION_FIELDS, EDITABLE_FIELDS, LIFECYCLE_FIELDS
from referendums.models.paper import SHEET_FIELDS
from referendums.services import campaigns as services
from referendums.services import paper as paper_services
from referendums.services.common import frozen_violation

# The campaign's own fields that define its electorate: frozen from scheduling on (migration 0003).
FROZEN_FIELDS = ("predicate", "whole_city")


def _is_draft(campaign: Campaign | None) -> bool:
    """Questions, options and scope change only while the campaign is a draft (the database
    refuses any other write: migration 0003). A new campaign is a draft."""
    return campaign is None or campaign.status == CampaignStatus.DRAFT


def _material_change(formset: Any) -> dict[str, Any]:
    """What an inline formset changed, for the audit log: the wording before and after."""

    def row(obj: Any) -> dict[str, Any]:
        return {
            name: getattr(obj, name)
            for name in ("id", "position", "key", "text_fr", "text_en", "label_fr", "label_en")
            if hasattr(obj, name)
        }

    return {
        "added": [row(o) for o in formset.new_objects],
        "changed": [{**row(o), "fields": sorted(fields)} for o, fields in formset.changed_objects],
        "deleted": [row(o) for o in formset.deleted_objects],
    }


class FrozenRefusalMixin:
    """Turns the database's refusal to change a frozen vote (a write that raced the scheduling past
    the read-only screens) into a message, never a server error."""

    def _refused(self, request: HttpRequest, view: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return view(request, *args, **kwargs)
        except IntegrityError as exc:
            refusal = frozen_violation(exc)
            if refusal is None:
                raise
            self.message_user(request, str(refusal.detail), messages.ERROR)  # type: ignore[attr-defined]
            return HttpResponseRedirect(request.path)

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return self._refused(request, super().changeform_view, *args, **kwargs)  # type: ignore[misc]

    def delete_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return self._refused(request, super().delete_view, *args, **kwargs)  # type: ignore[misc]

    def changelist_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return self._refused(request, super().changelist_view, *args, **kwargs)  # type: ignore[misc]


class QuestionInline(admin.StackedInline):
    model = Question
    extra = 0
    fields = ["position", "text_fr", "text_en"]

    # `obj` is the campaign: its questions are read-only, and cannot be added or deleted, once
    # it is scheduled.
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_draft(obj) and super().has_delete_permission(request, obj)


class CampaignerInline(admin.TabularInline):
    model = Campaigner
    extra = 0
    fields = ["name", "side", "description", "authorised"]
    readonly_fields = ["authorised"]


class DocumentInline(admin.TabularInline):
    model = Document
    extra = 0


def _action(name: str, label: Any) -> Any:
    def run(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
        for campaign in queryset:
            try:
                services.campaign_transition(
                    campaign_id=campaign.pk,
                    actor=request.user,  # type: ignore[arg-type]
                    action=name,
                )
            except DomainError as exc:
                modeladmin.message_user(
                    request,
                    _("%(item)s : %(detail)s") % {"item": campaign, "detail": exc.detail},
                    messages.ERROR,
                )
            else:
                modeladmin.message_user(
                    request,
                    _("%(item)s : %(detail)s") % {"item": campaign, "detail": label},
                    messages.SUCCESS,
                )

    run.__name__ = f"action_{name}"
    run.short_description = label  # type: ignore[attr-defined]
    return run


@admin.register(Campaign)
class CampaignAdmin(FrozenRefusalMixin, admin.ModelAdmin):
    form = CampaignAdminForm
    list_display = ["title_fr", "kind", "status", "voting_opens_at", "voting_closes_at"]
    list_filter = ["kind", "status"]
    search_fields = ["title_fr", "title_en"]
    inlines = [QuestionInline, CampaignerInline, DocumentInline]
    actions = [
        _action("schedule", _("Programmer")),
        _action("publish", _("Publier les résultats")),
        _action("archive", _("Archiver")),
        _action("cancel", _("Annuler")),
    ]
    readonly_fields = list(LIFECYCLE_FIELDS)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Campaign]:
        return super().get_queryset(request).defer("results")

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        # Results exist only after the close, and are shown here only once published.
        return ["results", "results_digest", "electorate_districts"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status not in workflow.EDITABLE:
            fields += [f for f in EDITABLE_FIELDS if f not in fields]
            fields += [*CREATION_FIELDS, "whole_city"]
        elif not _is_draft(obj):  # scheduled: the electorate's definition is frozen
            fields += [f for f in (*FROZEN_FIELDS, *CREATION_FIELDS) if f not in fields]
        if obj is not None and obj.status in workflow.RESULTS_VISIBLE:
            fields.append("published_results")
        return fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A scheduled vote is cancelled (recorded), never deleted.
        return _is_draft(obj) and super().has_delete_permission(request, obj)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        if formset.model is Question and (
            formset.new_objects or formset.changed_objects or formset.deleted_objects
        ):
            audit_record(
                actor=request.user,  # type: ignore[arg-type]
                verb="referendum.questions_edit",
                target=form.instance,
                after=_material_change(formset),
            )

    @admin.display(description=_("Résultats publiés"))
    def published_results(self, obj: Campaign) -> str:
        if obj.status not in workflow.RESULTS_VISIBLE:
            return "—"
        return f"{obj.results_digest}"

    def save_model(self, request: HttpRequest, obj: Campaign, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user  # type: ignore[assignment]
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit_record(
                actor=request.user,  # type: ignore[arg-type]
                verb="referendum.update" if change else "referendum.create",
                target=obj,
                after={"fields": sorted(form.changed_data)},
            )


class OptionInline(admin.TabularInline):
    model = Option
    extra = 0

    # `obj` is the question: its options freeze with its campaign.
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _question_is_draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _question_is_draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _question_is_draft(obj) and super().has_delete_permission(request, obj)


def _question_is_draft(question: Question | None) -> bool:
    return question is None or _is_draft(question.campaign)


@admin.register(Question)
class QuestionAdmin(FrozenRefusalMixin, admin.ModelAdmin):
    """A question of a draft is edited here (audited); from scheduling on it is read-only and
    cannot be deleted, nor can a question be added to or moved into a scheduled campaign."""

    list_display = ["text_fr", "campaign", "position"]
    inlines = [OptionInline]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _question_is_draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _question_is_draft(obj) and super().has_delete_permission(request, obj)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "campaign":
            kwargs["queryset"] = Campaign.objects.filter(status=CampaignStatus.DRAFT).defer(
                "results"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Question, form: Any, change: bool) -> None:
        before = None
        if change:
            before = (
                Question.objects.filter(pk=obj.pk)
                .values("campaign_id", "text_fr", "text_en")
                .first()
            )
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,  # type: ignore[arg-type]
            verb="referendum.question_edit" if change else "referendum.question_add",
            target=obj,
            before=before,
            after={"campaign_id": obj.campaign_id, "text_fr": obj.text_fr, "text_en": obj.text_en},
        )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        if formset.new_objects or formset.changed_objects or formset.deleted_objects:
            audit_record(
                actor=request.user,  # type: ignore[arg-type]
                verb="referendum.options_edit",
                target=form.instance,
                after=_material_change(formset),
            )

    def delete_model(self, request: HttpRequest, obj: Question) -> None:
        audit_record(
            actor=request.user,  # type: ignore[arg-type]
            verb="referendum.question_delete",
            target=obj,
            before={"campaign_id": obj.campaign_id, "text_fr": obj.text_fr},
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Question]) -> None:
        with transaction.atomic():  # all or none: one frozen question refuses the batch
            for question in queryset:
                self.delete_model(request, question)


@admin.register(Campaigner)
class CampaignerAdmin(admin.ModelAdmin):
    list_display = ["name", "campaign", "side", "authorised"]
    list_filter = ["side", "authorised"]
    readonly_fields = ["authorised", "authorised_by"]
    actions = ["authorise"]

    @admin.action(description=_("Habiliter à faire campagne"))
    def authorise(self, request: HttpRequest, queryset: QuerySet[Campaigner]) -> None:
        for campaigner in queryset:
            try:
                services.campaigner_authorise(
                    campaign_id=campaigner.campaign_id,
                    actor=request.user,  # type: ignore[arg-type]
                    name=campaigner.name,
                    side=campaigner.side,
                    description=campaigner.description,
                )
            except DomainError as exc:
                self.message_user(
                    request,
                    _("%(item)s : %(detail)s") % {"item": campaigner, "detail": exc.detail},
                    messages.ERROR,
                )


@admin.register(Argument)
class ArgumentAdmin(admin.ModelAdmin):
    list_display = ["campaigner"]


@admin.register(PollingStation)
class PollingStationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "address", "district", "registered_electors"]
    list_filter = ["district"]


@admin.register(ElectoralCalendarEntry)
class ElectoralCalendarEntryAdmin(admin.ModelAdmin):
    """An election or a renewal is set by law, not by the city: it is recorded whatever it does to a
    scheduled referendum, and the staff are told which referendums it now forbids (LO1112-6)."""

    list_display = ["label", "kind", "starts_on", "ends_on"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        self._warn_forbidden_referendums(request)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        self._warn_forbidden_referendums(request)

    def _warn_forbidden_referendums(self, request: HttpRequest) -> None:
        scheduled = Campaign.objects.filter(
            kind=CampaignKind.BINDING_REFERENDUM, status=CampaignStatus.SCHEDULED
        ).defer("results")
        for campaign in scheduled:
            for refusal in calendar_refusals(campaign):
                self.message_user(
                    request,
                    _("« %(campaign)s » n'est plus conforme : %(refusal)s")
                    % {"campaign": campaign, "refusal": refusal},
                    messages.WARNING,
                )


@admin.register(ResultSheet)
class ResultSheetAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Keying a sheet here goes through the double-entry service (another person keys the
    second entry; a difference is flagged); a keyed sheet is never changed or deleted."""

    list_display = ["campaign", "station", "entry_number", "entered_by", *SHEET_FIELDS]
    list_filter = ["campaign"]
    fields = ["campaign", "station", *SHEET_FIELDS]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return admin.ModelAdmin.has_add_permission(self, request)

    def save_model(self, request: HttpRequest, obj: ResultSheet, form: Any, change: bool) -> None:
        try:
            sheet = paper_services.sheet_enter(
                campaign_id=obj.campaign_id,
                station_code=obj.station.code,
                actor=request.user,  # type: ignore[arg-type]
                figures={f: getattr(obj, f) for f in SHEET_FIELDS},
            )
        except DomainError as exc:
            self.message_user(request, str(exc.detail), messages.ERROR)
            return
        obj.pk = sheet.pk


@admin.register(StationResult)
class StationResultAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["campaign", "station", "status", *SHEET_FIELDS]
    list_filter = ["campaign", "status"]
