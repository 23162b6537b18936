"""API tokens: the database keeps a digest of each secret, never the secret itself.

A token reads `civ_<id>_<secret>`: the id finds the row, the SHA-256 of the secret is compared in
constant time with the stored digest. Whoever reads the table (a staff role, a backup, a log of
the table's rows) learns no usable token. A token expires, is revoked by its owner, and dies with a
password change or a deactivation (a trigger on the account table, whatever path writes it)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("compte"),
    )
    # SHA-256 of the secret, hex: a secret of 256 random bits needs no salt nor slow hash.
    digest = models.CharField(_("empreinte"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expire le"))
    last_used_at = models.DateTimeField(_("dernière utilisation"), null=True, blank=True)

    class Meta:
        verbose_name = _("jeton d'API")
        verbose_name_plural = _("jetons d'API")
        default_permissions = ()  # no staff role reaches a token, not even through a view right
        constraints = [
            models.CheckConstraint(
                condition=models.Q(digest__regex=r"^[0-9a-f]{64}$"), name="apitoken_digest_sha256"
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="apitoken_expires_after_creation",
            ),
        ]
        indexes = [models.Index(fields=["user", "expires_at"], name="apitoken_user_expires")]

    def __str__(self) -> str:
        return f"civ_{self.pk}_…"
