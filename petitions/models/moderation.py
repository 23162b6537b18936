"""The public history of an initiative's moderation and collection window, and the documents of
the city's answers (docs/civic-rules.md, "Moderation" and "The city's answer")."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from petitions.models.initiatives import Initiative
from petitions.models.obligations import Obligation


class ChangeKind(models.TextChoices):
    SUSPENDED = "suspended", _("Initiative suspendue")
    UNPUBLISHED = "unpublished", _("Initiative dépubliée")
    REINSTATED = "reinstated", _("Initiative rétablie")
    EXTENDED = "extended", _("Collecte prolongée")
    PAUSED = "paused", _("Collecte suspendue")
    RESUMED = "resumed", _("Collecte reprise")


class CollectionChange(models.Model):
    """One dated, public change of an initiative's standing or collection window, with its reason.
    Rows are only ever added: the history is the initiative's public record."""

    initiative = models.ForeignKey(
        Initiative,
        on_delete=models.CASCADE,
        related_name="collection_changes",
        verbose_name=_("initiative"),
    )
    kind = models.CharField(_("changement"), max_length=16, choices=ChangeKind.choices)
    at = models.DateTimeField(_("le"))
    reason = models.TextField(_("motif public"))
    closes_before = models.DateTimeField(_("clôture avant"), null=True, blank=True)
    closes_after = models.DateTimeField(_("clôture après"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("agent"),
    )

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("changement de collecte")
        verbose_name_plural = _("changements de collecte")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in ChangeKind]),
                name="collection_change_kind_valid",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="collection_change_has_reason"),
            models.CheckConstraint(
                condition=~Q(kind=ChangeKind.EXTENDED)
                | Q(closes_after__gt=models.F("closes_before")),
                name="collection_change_extension_later",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.initiative_id}: {self.kind}"


class ObligationDocument(models.Model):
    """A document of the city's answer (a report, a deliberation), checked on its content.

    A document is never deleted: staff withdraw it, or replace it by a new one, with a public
    reason, and the row stays in the answer's public history with its name, size and checksum.
    Only its stored file goes (a withdrawn document may hold what should never have been public).
    """

    obligation = models.ForeignKey(
        Obligation,
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name=_("engagement"),
    )
    title = models.CharField(_("titre"), max_length=200)
    file = models.FileField(
        _("fichier"), upload_to="obligations/%Y/%m/", max_length=200, blank=True
    )
    filename = models.CharField(_("nom du fichier"), max_length=120)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("taille (octets)"))
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    uploaded_at = models.DateTimeField(_("déposé le"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("déposé par"),
    )
    withdrawn_at = models.DateTimeField(_("retiré le"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("retiré par"),
    )
    withdrawal_reason = models.TextField(_("motif public du retrait"), blank=True)
    replaced_by = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaces",
        verbose_name=_("remplacé par"),
    )

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("document de réponse")
        verbose_name_plural = _("documents de réponse")
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="obligation_document_not_empty"),
            # In force: a stored file, no withdrawal. Withdrawn (or replaced): who, when and
            # why, and no file left.
            models.CheckConstraint(
                condition=(
                    Q(
                        withdrawn_at__isnull=True,
                        withdrawn_by__isnull=True,
                        withdrawal_reason="",
                        replaced_by__isnull=True,
                    )
                    & ~Q(file="")
                )
                | (
                    Q(withdrawn_at__isnull=False, withdrawn_by__isnull=False, file="")
                    & ~Q(withdrawal_reason="")
                ),
                name="obligation_document_withdrawal_whole",
            ),
            models.CheckConstraint(
                condition=~Q(replaced_by=models.F("pk")),
                name="obligation_document_not_replaced_by_itself",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def in_force(self) -> bool:
        return self.withdrawn_at is None
