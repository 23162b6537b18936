"""Webhooks: staff-registered subscribers and an outbox of signed deliveries."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class WebhookEvent(models.TextChoices):
    INITIATIVE_PUBLISHED = "initiative.published", _("Initiative publiée")
    INITIATIVE_RUNG_REACHED = "initiative.rung_reached", _("Palier atteint")
    INITIATIVE_CLOSED = "initiative.collection_closed", _("Collecte close")
    REFERENDUM_OPENED = "referendum.opened", _("Vote ouvert")
    REFERENDUM_CLOSED = "referendum.closed", _("Vote clos")
    REFERENDUM_RESULTS = "referendum.results_published", _("Résultats publiés")
    ASSEMBLY_AGENDA = "assembly.agenda_published", _("Ordre du jour publié")


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class WebhookSubscriber(models.Model):
    name = models.CharField(_("nom"), max_length=120)
    url = models.URLField(_("adresse de réception"), max_length=500)
    # Needed in clear to sign each body; shown to staff so the receiver can verify signatures.
    secret = models.CharField(_("secret partagé"), max_length=64, default=new_secret)
    events = models.JSONField(_("événements"), default=list)
    active = models.BooleanField(_("actif"), default=True)
    paused_at = models.DateTimeField(_("mis en pause le"), null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(
        default=0, verbose_name=_("échecs consécutifs")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("créé le"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("créé par"),
    )

    class Meta:
        verbose_name = _("abonné webhook")
        verbose_name_plural = _("abonnés webhook")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(paused_at__isnull=True) | models.Q(active=False),
                name="webhook_paused_is_inactive",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.url})"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("En attente")
    SENDING = "sending", _("En cours")
    DELIVERED = "delivered", _("Livrée")
    FAILED = "failed", _("Abandonnée")


class WebhookDelivery(models.Model):
    uid = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, verbose_name=_("identifiant unique")
    )
    subscriber = models.ForeignKey(
        WebhookSubscriber,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("abonné"),
    )
    event = models.CharField(
        max_length=64, choices=WebhookEvent.choices, verbose_name=_("événement")
    )
    payload = models.JSONField(verbose_name=_("contenu"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("créé le"))
    status = models.CharField(
        max_length=10,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
        verbose_name=_("état"),
    )
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("tentatives"))
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("prochaine tentative le")
    )
    claimed_until = models.DateTimeField(
        null=True, blank=True, verbose_name=_("pris en charge jusqu'à")
    )
    claim_token = models.UUIDField(
        null=True, blank=True, verbose_name=_("jeton de prise en charge")
    )
    delivered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("remis le"))
    last_status_code = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=_("dernier code de réponse")
    )
    last_error = models.CharField(max_length=300, blank=True, verbose_name=_("dernière erreur"))

    class Meta:
        ordering = ["-id"]
        verbose_name = _("livraison webhook")
        verbose_name_plural = _("journal des livraisons webhook")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status=DeliveryStatus.DELIVERED, delivered_at__isnull=False)
                | (
                    ~models.Q(status=DeliveryStatus.DELIVERED) & models.Q(delivered_at__isnull=True)
                ),
                name="webhook_delivered_iff_delivered_at",
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_due_idx",
                condition=models.Q(status__in=["pending", "sending"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscriber_id} ({self.status})"
