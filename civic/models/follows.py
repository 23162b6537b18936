"""Who follows what, and how each resident wants to be told.

A target is a kind (`petitions.initiative`, `referendums.campaign`, `assembly.mandate`) and an id,
never a foreign key: the instruments migrate on their own. A signer follows what they signed
without a row here (their signature says it); a row with `following=False` is how they stop."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Follow(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="follows",
        verbose_name=_("compte"),
    )
    target_kind = models.CharField(_("type de page suivie"), max_length=32)
    target_id = models.PositiveBigIntegerField(_("identifiant de la page suivie"))
    following = models.BooleanField(_("suivi"), default=True)
    changed_at = models.DateTimeField(_("modifié le"))

    class Meta:
        verbose_name = _("abonnement")
        verbose_name_plural = _("abonnements")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "target_kind", "target_id"], name="follow_once_per_target"
            ),
        ]
        indexes = [
            models.Index(fields=["target_kind", "target_id"], name="follow_target_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.target_kind}:{self.target_id}"


class NotificationPreference(models.Model):
    """No row: e-mail for every message, one by one. The inbox always keeps every message."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
        verbose_name=_("compte"),
    )
    email = models.BooleanField(_("recevoir les messages par e-mail"), default=True)
    daily_digest = models.BooleanField(_("un seul e-mail par jour (récapitulatif)"), default=False)
    changed_at = models.DateTimeField(_("modifié le"))

    class Meta:
        verbose_name = _("préférence de notification")
        verbose_name_plural = _("préférences de notification")

    def __str__(self) -> str:
        return f"{self.user_id}: email={self.email} digest={self.daily_digest}"
