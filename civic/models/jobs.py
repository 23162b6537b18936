"""A staff member's bulk action run as a background job (an import, an export): who started it,
what and when, its state and progress (moved by the Celery task in the transaction of each chunk),
and its outcome (a summary, or the error that stopped it). civic/progress.py shows it.

The uploaded file rides in the row until the job is over, then is erased: a register file holds
names and birth dates, and the job needs no copy once it has applied it. An export's file is kept
in the row, private (served to the same roles only), until `STAFF_JOB_RETENTION_DAYS` purges the
whole job (civic/legal/jobs.py)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class JobState(models.TextChoices):
    PENDING = "pending", _("En attente")
    RUNNING = "running", _("En cours")
    DONE = "done", _("Terminé")
    FAILED = "failed", _("Échoué")


class StaffJob(models.Model):
    kind = models.CharField(max_length=40, verbose_name=_("type de travail"))
    actor = models.ForeignKey(
        "civic.User",
        on_delete=models.PROTECT,
        related_name="staff_jobs",
        verbose_name=_("auteur de l'action"),
    )
    # The object the job acts on, when it has one (an initiative for a paper import): the job is
    # shown only to those who may act on it.
    scope_id = models.PositiveBigIntegerField(null=True, blank=True, verbose_name=_("objet visé"))
    params = models.JSONField(default=dict, blank=True, verbose_name=_("paramètres"))
    filename = models.CharField(max_length=255, blank=True, verbose_name=_("nom du fichier"))
    payload = models.BinaryField(default=b"", blank=True, verbose_name=_("fichier transmis"))
    state = models.CharField(
        max_length=10,
        choices=JobState.choices,
        default=JobState.PENDING,
        verbose_name=_("état"),
    )
    done = models.PositiveIntegerField(default=0, verbose_name=_("étapes faites"))
    total = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("étapes en tout"))
    result = models.JSONField(default=dict, blank=True, verbose_name=_("résultat"))
    error = models.TextField(blank=True, verbose_name=_("erreur"))
    output = models.BinaryField(null=True, blank=True, verbose_name=_("fichier produit"))
    output_name = models.CharField(
        max_length=255, blank=True, verbose_name=_("nom du fichier produit")
    )
    output_type = models.CharField(
        max_length=100, blank=True, verbose_name=_("type du fichier produit")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("créé le"))
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("commencé le"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("terminé le"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("travail en arrière-plan")
        verbose_name_plural = _("travaux en arrière-plan")
        indexes = [models.Index(fields=["kind", "-created_at"], name="staffjob_kind_created_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=JobState.values), name="staffjob_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(total__isnull=True) | Q(done__lte=models.F("total")),
                name="staffjob_done_within_total",
            ),
            models.CheckConstraint(
                condition=Q(state__in=[JobState.DONE, JobState.FAILED])
                | Q(finished_at__isnull=True),
                name="staffjob_finished_only_when_over",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state})"

    @property
    def running(self) -> bool:
        return self.state in (JobState.PENDING, JobState.RUNNING)
