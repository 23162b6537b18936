"""Accounts signed in through an OpenID Connect provider, and the desk's queue of verifications."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OidcBindMethod(models.TextChoices):
    # A resident's first sign-in with the provider opened the account.
    SIGN_UP = "sign_up", _("Compte ouvert à la connexion")
    # A resident signed in with a password bound the provider from « Vérifier mon compte ».
    ACCOUNT = "account", _("Rattachée à un compte existant")
    # Staff single sign-on: authorised by an administrator, the subject bound at the first login.
    STAFF = "staff", _("Connexion du personnel autorisée par un administrateur")


class OidcIdentity(models.Model):
    """The provider's stable identifier of a person (`sub`, per issuer) bound to one account.

    Only the pair (issuer, subject) is kept: the pivot identity is read at each sign-in, matched
    and forgotten. A staff single sign-on authorised by an administrator waits with an empty
    subject until the agent's first login binds it (civic/services/staff_sso.py)."""

    user = models.ForeignKey(
        "civic.User",
        on_delete=models.CASCADE,
        related_name="oidc_identities",
        verbose_name=_("compte"),
    )
    issuer = models.CharField(_("fournisseur d'identité"), max_length=255)
    subject = models.CharField(_("identifiant chez le fournisseur"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("rattaché le"), auto_now_add=True)
    last_login_at = models.DateTimeField(_("dernière connexion"), null=True, blank=True)
    method = models.CharField(
        _("mode de rattachement"),
        max_length=8,
        choices=OidcBindMethod.choices,
        default=OidcBindMethod.SIGN_UP,
    )
    bound_at = models.DateTimeField(_("identifiant lié le"), null=True, blank=True)
    authorised_by = models.ForeignKey(
        "civic.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("autorisée par"),
    )

    class Meta:
        verbose_name = _("identité OpenID Connect")
        verbose_name_plural = _("identités OpenID Connect")
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "subject"],
                condition=~models.Q(subject=""),
                name="oidc_identity_unique",
            ),
            models.UniqueConstraint(fields=["user", "issuer"], name="oidc_identity_one_per_user"),
            # Only a staff authorisation may wait for its subject, and it names its administrator.
            models.CheckConstraint(
                condition=~models.Q(subject="") | models.Q(method="staff"),
                name="oidc_identity_pending_is_staff",
            ),
            models.CheckConstraint(
                condition=~models.Q(method="staff") | models.Q(authorised_by__isnull=False),
                name="oidc_identity_staff_authorised",
            ),
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


class DeskCloseReason(models.TextChoices):
    """Why the desk closed a request without verifying (the resident is told, with what to do)."""

    NOT_ON_REGISTER = "not_on_register", _("Aucune inscription au registre ne correspond")
    DOCUMENT_MISSING = "document_missing", _("Pièce d'identité non présentée")
    IDENTITY_MISMATCH = "identity_mismatch", _("La pièce d'identité ne correspond pas au compte")
    NOT_RESIDENT = "not_resident", _("Pas de résidence dans la commune")
    DUPLICATE = "duplicate", _("Demande en double")
    WITHDRAWN = "withdrawn", _("Retirée à la demande du résident")


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
    close_reason = models.CharField(
        _("motif de clôture"), max_length=24, choices=DeskCloseReason.choices, blank=True
    )
    # Shown to the resident (the notification, « Mes données »): the desk keeps no hidden note.
    close_note = models.TextField(_("note au résident"), max_length=500, blank=True)

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
            # Closed without verifying always says why; a verification has no closing reason.
            models.CheckConstraint(
                condition=models.Q(
                    outcome="closed", close_reason__in=[r.value for r in DeskCloseReason]
                )
                | (~models.Q(outcome="closed") & models.Q(close_reason="", close_note="")),
                name="desk_request_close_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ({self.reason})"
