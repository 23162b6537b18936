"""Domain events: the outbox through which one instrument's change reaches another.

An event is written in the transaction of the change it announces, with one delivery row per
subscriber registered for its name at that moment. A delivery is handled in a transaction of its
own that also marks it done, so a subscriber's effect happens once: a worker killed mid-way rolls
both back and the sweep hands the delivery out again.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class EventDeliveryStatus(models.TextChoices):
    PENDING = "pending", _("En attente")
    DONE = "done", _("Traitée")
    FAILED = "failed", _("Échec")


class DomainEvent(models.Model):
    name = models.CharField(_("nom"), max_length=64)
    # Ids and public facts only: never a person's opinion (a signature, a ballot) nor a secret.
    payload = models.JSONField(_("contenu"), default=dict)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("événement")
        verbose_name_plural = _("événements")

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"


class EventDelivery(models.Model):
    event = models.ForeignKey(
        DomainEvent,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("événement"),
    )
    subscriber = models.CharField(_("abonné"), max_length=128)
    status = models.CharField(
        max_length=8,
        choices=EventDeliveryStatus.choices,
        default=EventDeliveryStatus.PENDING,
        verbose_name=_("état"),
    )
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("tentatives"))
    done_at = models.DateTimeField(null=True, blank=True, verbose_name=_("traité le"))
    last_error = models.CharField(max_length=200, blank=True, verbose_name=_("dernière erreur"))

    class Meta:
        verbose_name = _("remise d'événement")
        verbose_name_plural = _("remises d'événements")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "subscriber"], name="event_delivery_once_per_subscriber"
            ),
            models.CheckConstraint(
                condition=models.Q(status=EventDeliveryStatus.DONE, done_at__isnull=False)
                | (~models.Q(status=EventDeliveryStatus.DONE) & models.Q(done_at__isnull=True)),
                name="event_delivery_done_iff_done_at",
            ),
        ]
        indexes = [
            models.Index(
                fields=["event"],
                name="event_delivery_pending_idx",
                condition=models.Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscriber} ← {self.event_id}"
