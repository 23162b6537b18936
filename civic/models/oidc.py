"""Accounts signed in through an OpenID Connect provider, and the desk's queue of verifications."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OidcIdentity(models.Model):
    """The provider's stable identifier of a person (`sub`, per issuer) bound to one account.

    Only the pair (issuer, subject) is kept: the pivot identity is read at each sign-in, matched
    and forgotten."""

    user = models.ForeignKey(
        "civic.User",
        on_delete=models.CASCADE,
        related_name="oidc_identities",
        verbose_name=_("compte"),
    )
    issuer = models.CharField(_("fournisseur d'identité"), max_length=255)
    subject = models.CharField(_("identifiant chez le fournisseur"), max_length=255)
    created_at = models.DateTimeField(_("rattaché le"), auto_now_add=True)
    last_login_at = models.DateTimeField(_("dernière connexion"), null=True, blank=True)

    class Meta:
        verbose_name = _("identité OpenID Connect")
        verbose_name_plural = _("identités OpenID Connect")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="oidc_identity_unique"),
            models.UniqueConstraint(fields=["user", "issuer"], name="oidc_identity_one_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.issuer} {self.subject[:8]}…"


class DeskReason(models.TextChoices):
    # The identity matched one entry exactly, but another account already holds it.
    ENTRY_CLAIMED = "entry_claimed", _("L'inscription est déjà rattachée à un autre compte")
    # The identity matched several active entries (homonyms born the same day).
    AMBIGUOUS = "ambiguous", _("Plusieurs inscriptions correspondent")
    # The identity matched only entries struck off the roll.
    STRUCK_OFF = "struck_off", _("L'inscription correspondante est radiée")
    # The register holds only some of the first names the provider gives.
    FIRST_NAMES_PARTIAL = "first_names_partial", _("Prénoms incomplets au registre")
    # Same family name and birth date, other first names.
    FIRST_NAMES_DIFFER = "first_names_differ", _("Prénoms différents au registre")
    # Same first names and birth date, another family name (usage name, marriage).
    FAMILY_NAME_DIFFERS = "family_name_differs", _("Nom de famille différent au registre")


class DeskRequestOutcome(models.TextChoices):
    VERIFIED = "verified", _("Compte vérifié au guichet")
    CLOSED = "closed", _("Demande close sans vérification")


class DeskRequest(models.Model):
    """A resident whose identity nearly matched the register, waiting for the desk: the reason is
    kept, the identity is not (the agent sees the identity document in person)."""

    user = models.ForeignKey(
        "civic.User",
        on_delete=models.CASCADE,
        related_name="desk_requests",
        verbose_name=_("compte"),
    )
    method = models.CharField(_("origine"), max_length=8, default="oidc")
    reason = models.CharField(_("motif"), max_length=24, choices=DeskReason.choices)
    created_at = models.DateTimeField(_("demandée le"), auto_now_add=True)
    closed_at = models.DateTimeField(_("close le"), null=True, blank=True)
    closed_by = models.ForeignKey(
        "civic.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("traitée par"),
    )
    outcome = models.CharField(
        _("issue"), max_length=12, choices=DeskRequestOutcome.choices, blank=True
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("demande de vérification au guichet")
        verbose_name_plural = _("demandes de vérification au guichet")
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(closed_at__isnull=True),
                name="desk_request_one_open_per_user",
            ),
            models.CheckConstraint(
                condition=models.Q(reason__in=[r.value for r in DeskReason]),
                name="desk_request_reason_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(closed_at__isnull=True, outcome="")
                | models.Q(
                    closed_at__isnull=False,
                    outcome__in=[o.value for o in DeskRequestOutcome],
                ),
                name="desk_request_closed_iff_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ({self.reason})"
