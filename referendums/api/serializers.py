"""Output shapes shared by several API views."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from referendums.models import Campaign


class OptionOut(serializers.Serializer):
    key = serializers.CharField()
    meaning = serializers.CharField()
    label = serializers.SerializerMethodField()  # type: ignore[assignment]
    label_fr = serializers.CharField()
    label_en = serializers.CharField()

    def get_label(self, option: Any) -> str:
        return str(option.tr("label"))


class QuestionOut(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    text = serializers.SerializerMethodField()
    text_fr = serializers.CharField()
    text_en = serializers.CharField()
    options = OptionOut(many=True, source="options.all")

    def get_text(self, question: Any) -> str:
        return str(question.tr("text"))


class CampaignerOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    side = serializers.CharField()
    description = serializers.CharField()
    argument = serializers.SerializerMethodField()

    def get_argument(self, campaigner: Any) -> str | None:
        argument = getattr(campaigner, "argument", None)
        return argument.tr("text") if argument is not None else None


class DocumentOut(serializers.Serializer):
    title = serializers.SerializerMethodField()
    url = serializers.URLField()

    def get_title(self, document: Any) -> str:
        return str(document.tr("title"))


class CampaignSummaryOut(serializers.ModelSerializer):
    title = serializers.CharField()

    class Meta:
        model = Campaign
        fields = [
            "id",
            "kind",
            "voting_method",
            "status",
            "title",
            "title_fr",
            "title_en",
            "campaign_opens_at",
            "voting_opens_at",
            "voting_closes_at",
            "electorate_count",
        ]


class CampaignDetailOut(serializers.ModelSerializer):
    title = serializers.CharField()
    summary = serializers.SerializerMethodField()
    dossier = serializers.SerializerMethodField()
    districts = serializers.SerializerMethodField()
    origin = serializers.SerializerMethodField()
    questions = QuestionOut(many=True, source="questions.all")
    campaigners = CampaignerOut(many=True, source="campaigners.all")
    documents = DocumentOut(many=True, source="documents.all")

    class Meta:
        model = Campaign
        fields = [
            "id",
            "kind",
            "voting_method",
            "status",
            "title",
            "title_fr",
            "title_en",
            "summary",
            "summary_fr",
            "summary_en",
            "dossier",
            "dossier_fr",
            "dossier_en",
            "subject_key",
            "whole_city",
            "districts",
            "predicate",
            "cutoff_date",
            "electorate_count",
            "origin",
            "deliberation_date",
            "prefect_transmission_date",
            "dossier_public_date",
            "campaign_opens_at",
            "voting_opens_at",
            "voting_closes_at",
            "quorum_percent",
            "majority_rule",
            "challenge_days",
            "questions",
            "campaigners",
            "documents",
            "published_at",
        ]

    def get_summary(self, campaign: Campaign) -> str:
        return campaign.tr("summary")

    def get_dossier(self, campaign: Campaign) -> str:
        return campaign.tr("dossier")

    def get_districts(self, campaign: Campaign) -> list[str]:
        return sorted(d.code for d in campaign.districts.all())

    def get_origin(self, campaign: Campaign) -> dict[str, Any]:
        return {
            "kind": campaign.origin_kind,
            "id": campaign.origin_id,
            "label": campaign.origin_label,
        }
