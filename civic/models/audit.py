"""The tamper-evident audit log: an append-only hash chain."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One state change or staff action. `hash` = SHA-256 over the previous hash and this entry's
    canonical content, so editing or deleting any entry breaks every link after it.

    The application never updates, deletes or truncates rows; on PostgreSQL triggers refuse it as
    well, and the application's database role has no privilege to do it (`manage.py db_roles`).
    """

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(_("date"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,  # the log outlives accounts: a purged account leaves its id here
        verbose_name=_("auteur de l'action"),
    )
    actor_label = models.CharField(_("acteur"), max_length=254)
    verb = models.CharField(_("action"), max_length=64, db_index=True)
    target_type = models.CharField(_("type de cible"), max_length=64)
    target_id = models.CharField(_("cible"), max_length=64)
    before = models.JSONField(_("avant"), null=True, blank=True)
    after = models.JSONField(_("après"), null=True, blank=True)
    prev_hash = models.CharField(max_length=64, verbose_name=_("empreinte précédente"))
    hash = models.CharField(max_length=64, unique=True, verbose_name=_("empreinte"))
    # HMAC-SHA-256 under AUDIT_CHAIN_KEY (a key outside the database) rather than plain SHA-256.
    keyed = models.BooleanField(default=False, verbose_name=_("chaîné avec clé"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("entrée du journal d'audit")
        verbose_name_plural = _("journal d'audit")
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.verb} {self.target_type}:{self.target_id}"
