"""The online vote. Who voted (Participation) and what was voted (Ballot) live apart.

Nothing in `Ballot` or `ReceiptHash` points at a voter: random UUID keys (no sequence that follows
the order of casting), no timestamp, no default ordering. The only link, needed for re-voting, is the
sealed reference on the participation, encrypted under a per-campaign key that the close destroys.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from civic.models import RegisterEntry
from referendums.models.campaigns import Campaign


class Participation(models.Model):
    # Who voted is a legal record: it keeps its database constraint (one key-share lock per
    # first vote; the ballot and the receipt, anonymous, do without: see Ballot.campaign).
    # The unique (campaign, register_entry) index serves lookups by campaign: no second index to
    # maintain on every cast.
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("campagne"),
    )
    register_entry = models.ForeignKey(
        RegisterEntry,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("inscription au registre"),
    )
    voted_at = models.DateTimeField(_("a voté le"))
    # base64(nonce | ciphertext(ballot id, receipt hash) | tag); NULL once the close destroyed it.
    sealed_ref = models.CharField(
        max_length=200, null=True, blank=True, editable=False, verbose_name=_("référence scellée")
    )

    class Meta:
        verbose_name = _("participation")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "register_entry"], name="referendum_one_participation"
            )
        ]
        indexes = [
            # Tiny once the close has nulled every seal: "is any seal left?" is one index probe.
            models.Index(
                fields=["campaign"],
                name="referendum_sealed_idx",
                condition=models.Q(sealed_ref__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.register_entry_id}"


class Ballot(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No database constraint: each cast would otherwise take a FOR KEY SHARE lock on the one
    # campaign row for the ballot, again for the receipt and the participation, and concurrent
    # casts would queue on that row's multixact (PERFORMANCE.md, W6). The insert is guarded by
    # the same statement's check that the campaign exists and is voting; campaigns are never
    # deleted.
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        verbose_name=_("campagne"),
    )
    # Canonical JSON {"<question id>": "<option key>"}: what is counted, published and hashed.
    choices = models.TextField(verbose_name=_("choix"))
    # Only for districts big enough that a per-district count cannot single anyone out (see
    # docs/threat-model.md); NULL otherwise.
    district_code = models.CharField(
        max_length=16, null=True, blank=True, verbose_name=_("code du quartier")
    )

    class Meta:
        verbose_name = _("bulletin")

    def __str__(self) -> str:
        return str(self.id)


class ReceiptHash(models.Model):
    """SHA-256 of a voter's receipt code. Published after the close as a set, apart from ballots:
    every receipt ever given, a re-vote's old one included (docs/threat-model.md, coercion)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    campaign = models.ForeignKey(  # no database constraint: see Ballot.campaign
        Campaign,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
        verbose_name=_("campagne"),
    )
    digest = models.CharField(max_length=64, verbose_name=_("empreinte"))
    # Internal, never published nor answered: a re-vote marks its old receipt superseded instead
    # of deleting it, so the box lists it and a receipt held by a coercer proves nothing. The
    # close checks that live receipts match ballots, then clears the mark.
    superseded = models.BooleanField(default=False, editable=False, verbose_name=_("remplacé"))
    # The voter may check the receipt until this instant (the cast's minute + RECEIPT_CHECK_MINUTES)
    # and `checks_left` more times; the close clears both.
    checkable_until = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("vérifiable jusqu'au")
    )
    checks_left = models.PositiveSmallIntegerField(
        default=0, editable=False, verbose_name=_("vérifications restantes")
    )

    class Meta:
        verbose_name = _("empreinte de récépissé")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "digest"], name="referendum_receipt_unique")
        ]

    def __str__(self) -> str:
        return self.digest


TURNOUT_SLOTS = 16


class TurnoutSlot(models.Model):
    """Participations counted in slots per district, incremented in the transaction that creates
    the participation (never on a re-vote): turnout is read in constant time, and the tally does
    not rescan the participations. Several slots per district so concurrent first votes do not
    queue on one row; the close recounts the rows and refuses on any drift."""

    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        verbose_name=_("campagne"),
    )
    district_code = models.CharField(max_length=16, verbose_name=_("code du quartier"))
    slot = models.PositiveSmallIntegerField(verbose_name=_("emplacement"))
    participations = models.PositiveIntegerField(default=0, verbose_name=_("participations"))

    class Meta:
        verbose_name = _("compteur de participation")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "district_code", "slot"], name="referendum_turnout_slot_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.district_code}:{self.slot}"


class SealingKey(models.Model):
    """The per-campaign key of the sealed references, itself wrapped under a key derived from the
    server secret (so a database dump alone does not open the seals). Deleted at the close."""

    campaign = models.OneToOneField(
        Campaign,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        verbose_name=_("campagne"),
    )
    wrapped_key = models.CharField(max_length=200, verbose_name=_("clé enveloppée"))

    class Meta:
        verbose_name = _("clé de scellement")

    def __str__(self) -> str:
        return f"key:{self.campaign_id}"
