"""Signatures (online and paper in one table), the paper rejection register, count slots and the
published counts."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civic.models import District, RegisterEntry
from petitions.models.initiatives import Initiative
from petitions.models.invalidations import Invalidation


class Channel(models.TextChoices):
    ONLINE = "online", _("En ligne")
    PAPER = "paper", _("Papier")


class Signature(models.Model):
    """One person's support. Online and paper share the table, so one constraint covers both.

    No name is stored: the register entry is the identity, `identity_hash` (the register's keyed hash
    of the normalised identity) also catches one person holding two register entries, `facts` keeps
    the eligibility verdicts at signing time and `district` serves statistics.
    """

    id = models.BigAutoField(primary_key=True)
    # No index of their own: the unique constraint (initiative, register_entry) leads with the
    # initiative, and signature_entry_idx below serves the register entry. Every index is written
    # on every signature.
    initiative = models.ForeignKey(
        Initiative,
        on_delete=models.CASCADE,
        related_name="signatures",
        db_index=False,
        verbose_name=_("initiative"),
    )
    register_entry = models.ForeignKey(
        RegisterEntry,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("inscription au registre"),
    )
    identity_hash = models.CharField(max_length=64, verbose_name=_("empreinte d'identité"))
    channel = models.CharField(max_length=8, choices=Channel.choices, verbose_name=_("canal"))
    created_at = models.DateTimeField(verbose_name=_("créé le"))
    track_mask = models.PositiveSmallIntegerField(verbose_name=_("masque des voies"))
    facts = models.JSONField(verbose_name=_("faits"))
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="+", verbose_name=_("quartier")
    )
    # "<scope>:<year>Q<n>" when the signature counts on a track limited to one request per quarter:
    # the unique constraint below makes the limit hold under concurrency too.
    quarter_key = models.CharField(
        max_length=48, null=True, blank=True, verbose_name=_("trimestre")
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # indexed for paper signatures only (signature_paper_agent_idx),
        verbose_name=_("saisi par"),
    )
    # The signer's address when signing online (trending sources, invalidation by address or
    # range); none on paper. Personal data: it leaves with the row at the retention purge.
    ip = models.GenericIPAddressField(null=True, blank=True, verbose_name=_("adresse IP"))
    # Set while the signature is invalidated: the row stays (the signer keeps their place, undo
    # restores it) but no longer counts. Indexed only where set.
    invalidation = models.ForeignKey(
        Invalidation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signatures",
        db_index=False,
        verbose_name=_("invalidation"),
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        constraints = [
            models.UniqueConstraint(
                fields=["initiative", "register_entry"], name="signature_one_per_entry"
            ),
            models.UniqueConstraint(
                fields=["initiative", "identity_hash"], name="signature_one_per_identity"
            ),
            models.UniqueConstraint(
                fields=["register_entry", "quarter_key"],
                condition=Q(quarter_key__isnull=False),
                name="signature_one_request_per_quarter",
            ),
            models.CheckConstraint(
                condition=Q(track_mask__gte=1), name="signature_counts_somewhere"
            ),
            models.CheckConstraint(
                condition=Q(channel=Channel.ONLINE, entered_by__isnull=True)
                | Q(channel=Channel.PAPER, entered_by__isnull=False),
                name="signature_paper_has_agent",
            ),
        ]
        indexes = [
            models.Index(fields=["register_entry"], name="signature_entry_idx"),
            # Online signatures (the many) have no agent and stay out of this index.
            models.Index(
                fields=["entered_by"],
                condition=Q(entered_by__isnull=False),
                name="signature_paper_agent_idx",
            ),
            models.Index(
                fields=["invalidation"],
                condition=Q(invalidation__isnull=False),
                name="signature_invalidated_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.initiative_id}:{self.pk}"


class PaperRejectionReason(models.TextChoices):
    NOT_ON_REGISTER = "not_on_register", _("Introuvable sur le registre ou la liste électorale")
    NOT_ELIGIBLE = "not_eligible", _("Ne remplit pas les conditions pour signer")
    DUPLICATE = "duplicate", _("A déjà signé (en ligne ou sur papier)")
    QUARTER_LIMIT = "quarter_limit", _("A déjà signé une demande ce trimestre")
    INCOMPLETE = "incomplete", _("Mentions incomplètes ou illisibles")


class PaperRejection(models.Model):
    """The register of rejected paper signatures (CGCT L1112-16: admitted and rejected are kept)."""

    initiative = models.ForeignKey(
        Initiative,
        on_delete=models.CASCADE,
        related_name="paper_rejections",
        verbose_name=_("initiative"),
    )
    reason = models.CharField(_("motif"), max_length=24, choices=PaperRejectionReason.choices)
    sheet_ref = models.CharField(_("feuille et ligne"), max_length=64, blank=True)
    register_entry = models.ForeignKey(
        RegisterEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("inscription au registre"),
    )
    note = models.CharField(_("remarque"), max_length=255, blank=True)
    # The printed batch the line was entered from (petitions.models.paper), if any.
    batch = models.ForeignKey(
        "petitions.PaperBatch",
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="rejections",
        verbose_name=_("lot papier"),
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("saisi par"),
    )
    created_at = models.DateTimeField(verbose_name=_("créé le"))

    class Meta:
        ordering = ["-id"]
        verbose_name = _("signature papier rejetée")
        verbose_name_plural = _("registre des signatures papier rejetées")

    def __str__(self) -> str:
        return f"{self.initiative_id}:{self.reason}"


class AnnulmentReason(models.TextChoices):
    REGISTRATION_ANNULLED = "registration_annulled", _("Inscription annulée")


class AnnulledSignature(models.Model):
    """A signature removed from the count, with its public reason and date (CIVIC-RULES,
    "Strike-offs" and "Invalidation"). Nothing here names the signer: the register link left with
    the signature row, what remains is what the public count needs."""

    initiative = models.ForeignKey(
        Initiative,
        on_delete=models.CASCADE,
        related_name="annulled_signatures",
        verbose_name=_("initiative"),
    )
    reason = models.CharField(_("motif"), max_length=32, choices=AnnulmentReason.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices, verbose_name=_("canal"))
    track_mask = models.PositiveSmallIntegerField(verbose_name=_("masque des voies"))
    signed_on = models.DateField(_("signée le"))
    annulled_at = models.DateTimeField(_("retirée le"))

    class Meta:
        ordering = ["-annulled_at", "-id"]
        verbose_name = _("signature retirée")
        verbose_name_plural = _("signatures retirées")
        constraints = [
            models.CheckConstraint(
                condition=Q(reason__in=[r.value for r in AnnulmentReason]),
                name="annulled_signature_reason_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.initiative_id}:{self.reason}"


class SignatureCountSlot(models.Model):
    """Unfolded count deltas, keyed by the signature's track mask: signing upserts +1 on ONE row,
    its connection's slot for its mask; the fold expands masks into per-track counts and deletes
    the rows it took. Mask 0 counts on the total only (used by recount repairs). No foreign key:
    the slot table must never lock or be locked with the initiative."""

    initiative_id = models.BigIntegerField(verbose_name=_("initiative (identifiant)"))
    mask = models.SmallIntegerField(verbose_name=_("masque"))
    slot = models.SmallIntegerField(verbose_name=_("emplacement"))
    delta = models.IntegerField(default=0, verbose_name=_("variation"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["initiative_id", "mask", "slot"], name="count_slot_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.initiative_id}/{self.mask}/{self.slot}: {self.delta:+d}"


class InitiativeCount(models.Model):
    """The published count of one track (or TOTAL_TRACK), exact once the fold has run.

    Every tick rewrites the rows of the initiatives signed since the last one (W3). The table is
    kept half empty (fillfactor 50, migration 0023) and its only index on `initiative` is
    `count_unique`, so that each rewrite is a HOT update: the new row version stays on its page
    and no index is touched. The foreign key's own index would duplicate `count_unique`'s
    leading column and cost an index entry per non-HOT update."""

    initiative = models.ForeignKey(
        Initiative,
        on_delete=models.CASCADE,
        related_name="counts",
        db_index=False,  # count_unique (initiative, track) serves every lookup by initiative
        verbose_name=_("initiative"),
    )
    track = models.SmallIntegerField(verbose_name=_("voie"))
    count = models.IntegerField(default=0, verbose_name=_("nombre"))
    updated_at = models.DateTimeField(verbose_name=_("mis à jour le"))

    class Meta:
        ordering = ["initiative", "track"]
        constraints = [
            models.UniqueConstraint(fields=["initiative", "track"], name="count_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.initiative_id}/{self.track}: {self.count}"


class InetWithin(models.Lookup):
    """`ip__inet_within="203.0.113.0/24"`: the address is in the range (PostgreSQL `<<=`)."""

    lookup_name = "inet_within"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} <<= {rhs}::inet", [*lhs_params, *rhs_params]


Signature._meta.get_field("ip").register_lookup(InetWithin)
