"""Printed paper forms: each batch of forms handed out carries a code that the paper entry reads
back, so every paper signature (or rejection) is attached to the batch it was collected on."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from petitions.models.initiatives import Initiative
from petitions.models.signatures import Signature

# Crockford's base32 (no I, L, O, U): 10 random symbols and a check symbol, grouped 4-4-3.
CODE_PATTERN = r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{3}$"
MAX_SHEETS = 200
LINES_PER_SHEET = 10  # the lines printed on each sheet (petitions.paper_form)


class PaperBatch(models.Model):
    """One print run of signature forms for one initiative (CIVIC-RULES, "Paper signatures")."""

    initiative = models.ForeignKey(
        Initiative,
        on_delete=models.CASCADE,
        related_name="paper_batches",
        verbose_name=_("initiative"),
    )
    code = models.CharField(_("code du lot"), max_length=16, unique=True)
    sheets = models.PositiveSmallIntegerField(_("feuilles"))
    issued_at = models.DateTimeField(_("imprimé le"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("imprimé par"),
    )

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("lot de formulaires papier")
        verbose_name_plural = _("lots de formulaires papier")
        constraints = [
            models.CheckConstraint(
                condition=Q(sheets__gte=1, sheets__lte=MAX_SHEETS), name="paper_batch_sheets_range"
            ),
            models.CheckConstraint(
                condition=Q(code__regex=CODE_PATTERN), name="paper_batch_code_format"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class PaperBatchSignature(models.Model):
    """A paper signature's batch and sheet. A table apart, written by paper entry only: the
    signature table, written on every online signature, gains no column nor index."""

    signature = models.OneToOneField(
        Signature, on_delete=models.CASCADE, primary_key=True, related_name="paper_batch_link"
    )
    # RESTRICT: a batch holding lines is never deleted alone, but goes with its initiative.
    batch = models.ForeignKey(
        PaperBatch, on_delete=models.RESTRICT, related_name="signatures", verbose_name=_("lot")
    )
    sheet_ref = models.CharField(_("feuille et ligne"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("signature d'un lot papier")
        verbose_name_plural = _("signatures des lots papier")

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.signature_id}"
