"""The notification outbox: written in the transaction that causes it, delivered by Celery."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("En attente")
    SENDING = "sending", _("En cours d'envoi")
    SENT = "sent", _("Envoyée")
    FAILED = "failed", _("Échec")
    # Not e-mailed one by one: kept for the daily digest, or for the inbox alone (e-mail off).
    HELD = "held", _("Pour le récapitulatif du jour")
    INBOX = "inbox", _("Boîte de réception seulement")


class Notification(models.Model):
    uid = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, verbose_name=_("identifiant unique")
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("destinataire"),
    )
    kind = models.CharField(_("type"), max_length=64)
    subject = models.CharField(_("objet"), max_length=255)
    body = models.TextField(_("message"))
    url = models.CharField(_("lien"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True, db_index=True)
    status = models.CharField(
        max_length=8,
        choices=NotificationStatus.choices,
        default=NotificationStatus.PENDING,
        verbose_name=_("état"),
    )
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("tentatives"))
    # A claim is a lease: the worker that set it owns the delivery until it expires.
    claimed_until = models.DateTimeField(
        null=True, blank=True, verbose_name=_("pris en charge jusqu'à")
    )
    claim_token = models.UUIDField(
        null=True, blank=True, verbose_name=_("jeton de prise en charge")
    )
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("envoyé le"))
    read_at = models.DateTimeField(null=True, blank=True, verbose_name=_("lu le"))
    last_error = models.CharField(max_length=500, blank=True, verbose_name=_("dernière erreur"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status=NotificationStatus.SENT, sent_at__isnull=False)
                | (~models.Q(status=NotificationStatus.SENT) & models.Q(sent_at__isnull=True)),
                name="notification_sent_iff_sent_at",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "created_at"],
                name="notification_pending_idx",
                condition=models.Q(status__in=["pending", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"
