"""What other instruments asked the assembly to examine, kept until it is placed on an agenda.

A request arrives as a domain event (an initiative reached its assembly rung, a referendum result
was published). The assembly keeps its own copy of the public facts it needs (title, link, who to
tell), so placing it later, by the periodic task, reads no other app's table.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from assembly.models.sessions import AgendaItem, SourceKind


class AgendaRequest(models.Model):
    source_kind = models.CharField(
        max_length=20, choices=SourceKind.choices, verbose_name=_("type d'origine")
    )
    source_id = models.PositiveIntegerField(verbose_name=_("origine (identifiant)"))
    # The petitions obligation the item discharges once examined (initiatives only).
    obligation_id = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("engagement (identifiant)")
    )
    title = models.CharField(_("intitulé"), max_length=255)
    url = models.CharField(max_length=500, blank=True, verbose_name=_("adresse"))
    # Told when the item is placed: the initiator first, then the promoters who co-signed.
    initiator_user_ids = models.JSONField(
        default=list, blank=True, verbose_name=_("initiateurs (identifiants)")
    )
    # When the fact happened in the other instrument (the rung crossed, the result published):
    # requests are placed oldest first, whatever order their events arrived in.
    requested_at = models.DateTimeField(verbose_name=_("demandé le"))
    received_at = models.DateTimeField(auto_now_add=True, verbose_name=_("reçu le"))
    placed_item = models.ForeignKey(
        AgendaItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requests",
        verbose_name=_("point inscrit"),
    )
    placed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("inscrit le"))
    # Set when the session that examined the item closes: the request is then answered for good.
    examined_at = models.DateTimeField(null=True, blank=True, verbose_name=_("examiné le"))

    class Meta:
        ordering = ["requested_at", "id"]
        verbose_name = _("demande d'inscription à l'ordre du jour")
        verbose_name_plural = _("demandes d'inscription à l'ordre du jour")
        constraints = [
            # One request per source, however many times its event is delivered.
            models.UniqueConstraint(
                fields=["source_kind", "source_id"], name="agenda_request_once_per_source"
            ),
            models.CheckConstraint(
                condition=Q(source_kind__in=["initiative", "referendum_result"]),
                name="agenda_request_from_an_instrument",
            ),
        ]
        indexes = [
            models.Index(
                fields=["requested_at", "id"],
                condition=Q(examined_at__isnull=True),
                name="agenda_request_waiting_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_kind} {self.source_id}"


class InitiativePublication(models.Model):
    """What the assembly last heard of an initiative's publication (`petitions.collection_changed`),
    with the event's ordering stamp: the petitions' `change_id`, which grows with each change of
    one initiative (its changes are made one at a time, the initiative locked). An event carrying
    a stamp not above the one kept is stale (delivered again, or overtaken by a newer one handled
    first by another worker) and is ignored, so an older state never overrides a newer one."""

    initiative_id = models.PositiveIntegerField(
        unique=True, verbose_name=_("initiative (identifiant)")
    )
    change_id = models.PositiveBigIntegerField(verbose_name=_("dernier changement appliqué"))
    withdrawn = models.BooleanField(default=False, verbose_name=_("dépubliée"))
    updated_at = models.DateTimeField(verbose_name=_("mis à jour le"))

    class Meta:
        verbose_name = _("publication d'une initiative")
        verbose_name_plural = _("publications des initiatives")

    def __str__(self) -> str:
        return f"initiative {self.initiative_id} @ {self.change_id}"
