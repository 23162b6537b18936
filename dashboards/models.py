"""Maintained aggregates behind the public statistics, owned by this app.

Every reference to an instrument is an integer id (no foreign key into petitions, referendums or
assembly): those apps migrate on their own schedule, and these tables are derived data a fold can
always rebuild from theirs.

- `SignatureLedger` remembers which signatures the fold has counted, with only what statistics
  need (hour, district, track mask): it makes the fold idempotent and lets it decrement exactly the
  hour and district of a withdrawn signature. It is never published.
- `SignatureHourly` and `SignatureDistrictCount` are the aggregates the documents are built from.
- `StatsDocument` is the published answer of one endpoint, rebuilt by the tick, with its ETag: a
  request is one indexed read of one row. The paginated list has one `listing` document per
  initiative and a head, the `listing` document of object `LISTING_HEAD_ID`: the list's total and
  an ETag that digests every listing's ETag, so a page is read with its total in one statement.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

TOTAL_TRACK = -1  # same convention as petitions.models.TOTAL_TRACK
LISTING_HEAD_ID = 0  # the list's head among the `listing` documents (initiative ids start at 1)


class FoldState(models.Model):
    """The fold's watermark (a singleton, locked while a fold runs so folds take turns)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    low_watermark = models.BigIntegerField(default=0)
    folded_at = models.DateTimeField(null=True, blank=True)
    # Bumped whenever a published document changes: web processes compare it (at most once a
    # second) to know whether the validators they remember still hold.
    documents_version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("état de l'agrégation")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="fold_state_singleton")
        ]

    def __str__(self) -> str:
        return f"≤{self.low_watermark} @ {self.folded_at}"


class SignatureLedger(models.Model):
    signature_id = models.BigIntegerField(primary_key=True)
    initiative_id = models.BigIntegerField()
    district_id = models.BigIntegerField()
    mask = models.SmallIntegerField()
    hour = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["initiative_id"], name="dash_ledger_initiative_idx")]

    def __str__(self) -> str:
        return f"{self.initiative_id}:{self.signature_id}"


class SignatureHourly(models.Model):
    initiative_id = models.BigIntegerField()
    track = models.SmallIntegerField()  # TOTAL_TRACK or a track position
    hour = models.DateTimeField()
    count = models.IntegerField(default=0)

    class Meta:
        ordering = ["initiative_id", "track", "hour"]
        constraints = [
            models.UniqueConstraint(
                fields=["initiative_id", "track", "hour"], name="dash_hourly_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.initiative_id}/{self.track}/{self.hour:%Y-%m-%dT%H}: {self.count}"


class SignatureDistrictCount(models.Model):
    initiative_id = models.BigIntegerField()
    district_id = models.BigIntegerField()
    count = models.IntegerField(default=0)

    class Meta:
        ordering = ["initiative_id", "district_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["initiative_id", "district_id"], name="dash_district_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.initiative_id}/{self.district_id}: {self.count}"


class DocumentKind(models.TextChoices):
    CITY = "city", _("Ville")
    INITIATIVE = "initiative", _("Initiative")
    SERIES = "series", _("Série de signatures")
    LISTING = "listing", _("Ligne de la liste des initiatives")


class StatsDocument(models.Model):
    kind = models.CharField(max_length=16, choices=DocumentKind.choices)
    object_id = models.BigIntegerField(default=0)
    body = models.JSONField()
    etag = models.CharField(max_length=64)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["kind", "-object_id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="dash_document_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"
