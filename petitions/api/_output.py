"""Output serializers shared by several API views (each view keeps its own input serializer)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from petitions.models import (
    TOTAL_TRACK,
    Initiative,
    InitiativeTrack,
    Obligation,
    ObligationDocument,
    TrackRung,
)
from petitions.rules import public_text, public_title
from petitions.selectors import counts_of, is_overdue


class DocumentOutput(serializers.Serializer):
    """A document of the city's answer. A withdrawn or replaced one stays in the list with its
    name, size and checksum, when and why it was withdrawn, and no `url` (its file is gone)."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField()
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    withdrawal_reason = serializers.CharField()
    replaced_by = serializers.IntegerField(source="replaced_by_id", allow_null=True)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_url(self, document: ObligationDocument) -> str | None:
        if document.withdrawn_at is not None:
            return None
        return reverse("petitions:obligation-document", args=[document.pk])


class ChangeOutput(serializers.Serializer):
    """One public change of an initiative's moderation or collection window."""

    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    at = serializers.DateTimeField()
    reason = serializers.CharField()
    closes_before = serializers.DateTimeField(allow_null=True)
    closes_after = serializers.DateTimeField(allow_null=True)


class ObligationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    initiative_id = serializers.IntegerField()
    kind = serializers.CharField()
    text = serializers.CharField()
    text_en = serializers.CharField()
    created_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    status = serializers.CharField()
    overdue = serializers.SerializerMethodField()
    done_at = serializers.DateTimeField(allow_null=True)
    evidence_url = serializers.CharField()
    evidence_text = serializers.CharField()
    # The city's answer: the text above, the date it was met (done_at) and its documents.
    documents = DocumentOutput(many=True, source="documents.all")

    def get_overdue(self, obligation: Obligation) -> bool:
        return is_overdue(obligation)


class RungOutput(serializers.Serializer):
    order = serializers.IntegerField()
    threshold = serializers.IntegerField()
    obligation_kind = serializers.CharField()
    obligation_text = serializers.CharField()
    obligation_text_en = serializers.CharField()
    due_days = serializers.IntegerField()
    reached_at = serializers.DateTimeField(allow_null=True)
    obligation = serializers.SerializerMethodField()

    def get_obligation(self, rung: TrackRung) -> dict[str, Any] | None:
        obligation = getattr(rung, "obligation", None)
        return dict(ObligationOutput(obligation).data) if obligation is not None else None


class TrackOutput(serializers.Serializer):
    position = serializers.IntegerField()
    instrument = serializers.CharField(source="instrument_type.slug")
    name = serializers.CharField(source="instrument_type.name")
    name_en = serializers.CharField(source="instrument_type.name_en")
    legal_basis = serializers.CharField(source="instrument_type.legal_basis")
    predicate = serializers.CharField()
    population_at_open = serializers.IntegerField(allow_null=True)
    count = serializers.SerializerMethodField()

    def get_count(self, track: InitiativeTrack) -> int | None:
        counts = self.context.get("counts", {}).get(track.initiative_id, {})
        return counts.get(track.position)


class TrackDetailOutput(TrackOutput):
    rungs = RungOutput(many=True)


class InitiativeListOutput(serializers.Serializer):
    id = serializers.IntegerField()
    # The title, or "Initiative dépubliée" once unpublished (rules.public_title, as on the page)
    title = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField()
    status = serializers.CharField()
    # public, suspended or unpublished (then summary and body are empty: withdrawn from the public)
    moderation = serializers.CharField()
    moderated_at = serializers.DateTimeField(allow_null=True)
    moderation_reason = serializers.CharField()
    collection_paused_at = serializers.DateTimeField(allow_null=True)
    district = serializers.CharField(source="district.code", default=None, allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    closes_at = serializers.DateTimeField(allow_null=True)
    signatures = serializers.SerializerMethodField()
    tracks = TrackOutput(many=True)
    url = serializers.CharField(source="get_absolute_url")

    def get_signatures(self, initiative: Initiative) -> int | None:
        return counts_of(initiative).get(TOTAL_TRACK)

    def get_title(self, initiative: Initiative) -> str:
        return public_title(initiative)

    def get_summary(self, initiative: Initiative) -> str:
        return public_text(initiative, "summary")


class PromoterOutput(serializers.Serializer):
    user_id = serializers.IntegerField()
    display_name = serializers.SerializerMethodField()
    cosigned = serializers.SerializerMethodField()

    def get_display_name(self, promoter: Any) -> str:
        return str(promoter.user.display_name or "")

    def get_cosigned(self, promoter: Any) -> bool:
        return promoter.cosigned_at is not None


class InitiativeDetailOutput(InitiativeListOutput):
    body = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    rejected_at = serializers.DateTimeField(allow_null=True)
    rejection_reason = serializers.CharField(
        source="rejection_reason.label", default=None, allow_null=True
    )
    rejection_reason_en = serializers.CharField(
        source="rejection_reason.label_en", default=None, allow_null=True
    )
    rejection_text = serializers.CharField()
    tracks = TrackDetailOutput(many=True)
    # Co-signed promoters only: a pending invitation listed here would tell the initiator that
    # the address they typed has an account.
    promoters = serializers.SerializerMethodField()

    history = ChangeOutput(many=True, source="collection_changes.all")

    @extend_schema_field(PromoterOutput(many=True))
    def get_promoters(self, initiative: Initiative) -> Any:
        cosigned = [p for p in initiative.promoters.all() if p.cosigned_at is not None]
        return PromoterOutput(cosigned, many=True).data

    def get_body(self, initiative: Initiative) -> str:
        return public_text(initiative, "body")


def counts_context(initiatives: list[Initiative]) -> dict[str, Any]:
    return {"counts": {i.pk: counts_of(i) for i in initiatives}}
