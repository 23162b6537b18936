"""The commitment and its result: members and the ordered reserve."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from assembly.models.composition import Mandate, Volunteer


class DrawCommitment(models.Model):
    """Published before the seed exists: `digest` is SHA-256 of `payload` (pool, quotas, algorithm,
    library version, committed lottery, seed source). The seed is recorded once known."""

    mandate = models.OneToOneField(
        Mandate, on_delete=models.PROTECT, related_name="commitment", verbose_name=_("mandat")
    )
    payload = models.JSONField(verbose_name=_("contenu"))
    digest = models.CharField(max_length=64, unique=True, verbose_name=_("empreinte"))
    pool_digest = models.CharField(max_length=64, verbose_name=_("empreinte du vivier"))
    quotas_digest = models.CharField(max_length=64, verbose_name=_("empreinte des quotas"))
    algorithm = models.CharField(max_length=32, verbose_name=_("algorithme"))
    library = models.CharField(max_length=64, verbose_name=_("bibliothèque"))
    seed_source = models.CharField(_("source de l'aléa"), max_length=500)
    seed_expected_at = models.DateTimeField(_("aléa connu à partir du"))
    published_at = models.DateTimeField(verbose_name=_("publié le"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("publié par"),
    )
    seed = models.CharField(_("valeur de l'aléa"), max_length=500, blank=True)
    seed_recorded_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("graine enregistrée le")
    )
    ticket = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("ticket"))
    panel = models.JSONField(default=list, verbose_name=_("panel"))  # pseudonyms, sorted
    reserve = models.JSONField(default=list, verbose_name=_("réserve"))  # pseudonyms, in call order
    maximin_value = models.FloatField(default=0, verbose_name=_("valeur maximin"))
    # The public round whose randomness is the seed, fixed by the commitment (drand quicknet);
    # null only for the commitments of before, whose seed was typed.
    beacon_round = models.BigIntegerField(_("tour drand"), null=True, blank=True)
    beacon_signature = models.CharField(
        max_length=192, blank=True, verbose_name=_("signature de la balise")
    )

    class Meta:
        verbose_name = _("engagement de tirage")
        verbose_name_plural = _("engagements de tirage")
        constraints = [
            models.CheckConstraint(
                condition=Q(seed="", seed_recorded_at__isnull=True, ticket__isnull=True)
                | (~Q(seed="") & Q(seed_recorded_at__isnull=False, ticket__isnull=False)),
                name="commitment_seed_iff_drawn",
            ),
            models.CheckConstraint(
                condition=Q(seed_expected_at__gt=models.F("published_at")),
                name="commitment_before_seed",
            ),
            # The seed of a round-named commitment is the round's randomness (64 hex digits, with
            # its signature); the trigger of 0005 checks it is the SHA-256 of that signature and
            # forbids changing it, the round or the payload.
            models.CheckConstraint(
                condition=Q(beacon_round__isnull=True)
                | Q(seed="", beacon_signature="")
                | (Q(seed__regex=r"^[0-9a-f]{64}$") & ~Q(beacon_signature="")),
                name="commitment_seed_is_beacon",
            ),
        ]

    def __str__(self) -> str:
        return self.digest[:12]


class CommitmentJobStatus(models.TextChoices):
    PENDING = "pending", _("En attente d'un calcul")
    RUNNING = "running", _("Calcul en cours")
    DONE = "done", _("Engagement publié")
    FAILED = "failed", _("Échec du calcul")


class CommitmentJob(models.Model):
    """The clerk's request to publish the commitment. Computing the lottery of a large pool takes a
    minute of solver time, so a worker does it (`assembly.tasks.commitment_compute`); this row is
    what the clerk's page shows meanwhile, and the claim that lets only one worker compute it."""

    mandate = models.OneToOneField(
        Mandate, on_delete=models.CASCADE, related_name="commitment_job", verbose_name=_("mandat")
    )
    seed_source = models.CharField(_("source de l'aléa"), max_length=500)
    seed_expected_at = models.DateTimeField(_("aléa connu à partir du"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("demandé par"),
    )
    requested_at = models.DateTimeField(verbose_name=_("demandé le"))
    status = models.CharField(
        max_length=8,
        choices=CommitmentJobStatus.choices,
        default=CommitmentJobStatus.PENDING,
        verbose_name=_("état"),
    )
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("tentatives"))
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("commencé le"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("terminé le"))
    error_code = models.CharField(max_length=64, blank=True, verbose_name=_("code d'erreur"))
    error_detail = models.TextField(blank=True, verbose_name=_("détail de l'erreur"))

    class Meta:
        verbose_name = _("calcul de l'engagement")
        verbose_name_plural = _("calculs de l'engagement")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CommitmentJobStatus.values),
                name="commitment_job_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(started_at__isnull=False),
                name="commitment_job_started_unless_pending",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["done", "failed"], finished_at__isnull=False)
                | (~Q(status__in=["done", "failed"]) & Q(finished_at__isnull=True)),
                name="commitment_job_finished_iff_finished_at",
            ),
            models.CheckConstraint(
                condition=(Q(status="failed") & ~Q(error_code=""))
                | (~Q(status="failed") & Q(error_code="")),
                name="commitment_job_error_iff_failed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mandate_id}: {self.status}"

    @property
    def in_progress(self) -> bool:
        return self.status in (CommitmentJobStatus.PENDING, CommitmentJobStatus.RUNNING)


class MemberStatus(models.TextChoices):
    ACTIVE = "active", _("En fonction")
    LEFT = "left", _("Parti (siège vacant)")
    REPLACED = "replaced", _("Parti, remplacé")


class MemberSource(models.TextChoices):
    DRAW = "draw", _("Tirage")
    RESERVE = "reserve", _("Liste de réserve")


class Member(models.Model):
    mandate = models.ForeignKey(
        Mandate, on_delete=models.PROTECT, related_name="members", verbose_name=_("mandat")
    )
    volunteer = models.OneToOneField(
        Volunteer, on_delete=models.PROTECT, related_name="member", verbose_name=_("volontaire")
    )
    seat = models.PositiveSmallIntegerField(verbose_name=_("siège"))
    source = models.CharField(max_length=8, choices=MemberSource.choices, verbose_name=_("origine"))
    status = models.CharField(
        max_length=8,
        choices=MemberStatus.choices,
        default=MemberStatus.ACTIVE,
        verbose_name=_("état"),
    )
    first_name = models.CharField(_("prénom"), max_length=150)
    district_name = models.CharField(_("quartier"), max_length=120)
    joined_at = models.DateTimeField(verbose_name=_("entré le"))
    left_at = models.DateTimeField(null=True, blank=True, verbose_name=_("parti le"))
    left_reason = models.CharField(max_length=200, blank=True, verbose_name=_("motif du départ"))
    replaced_by = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaces",
        verbose_name=_("remplacé par"),
    )

    class Meta:
        ordering = ["seat", "id"]
        verbose_name = _("membre")
        verbose_name_plural = _("membres")
        constraints = [
            # One active holder per seat: a replacement takes the seat of the member who left.
            models.UniqueConstraint(
                fields=["mandate", "seat"],
                condition=Q(status="active"),
                name="member_one_active_per_seat",
            ),
            models.CheckConstraint(
                condition=Q(status="active", left_at__isnull=True)
                | (~Q(status="active") & Q(left_at__isnull=False)),
                name="member_left_iff_left_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} ({self.district_name})"


class ReserveStatus(models.TextChoices):
    WAITING = "waiting", _("En attente")
    CALLED = "called", _("Appelé à siéger")
    SKIPPED = "skipped", _("Écarté")


class Reserve(models.Model):
    mandate = models.ForeignKey(
        Mandate, on_delete=models.PROTECT, related_name="reserves", verbose_name=_("mandat")
    )
    volunteer = models.OneToOneField(
        Volunteer, on_delete=models.PROTECT, related_name="reserve", verbose_name=_("volontaire")
    )
    rank = models.PositiveSmallIntegerField(verbose_name=_("rang"))
    status = models.CharField(
        max_length=8,
        choices=ReserveStatus.choices,
        default=ReserveStatus.WAITING,
        verbose_name=_("état"),
    )

    class Meta:
        ordering = ["rank"]
        verbose_name = _("réserviste")
        verbose_name_plural = _("liste de réserve")
        constraints = [
            models.UniqueConstraint(fields=["mandate", "rank"], name="reserve_rank_unique"),
        ]

    def __str__(self) -> str:
        return f"#{self.rank}"
