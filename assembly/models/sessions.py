"""Sessions, agenda items, attendance, motions and the members' recorded votes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from assembly.models.composition import Mandate
from assembly.models.draw import Member


class SessionStatus(models.TextChoices):
    PLANNED = "planned", _("Prévue")
    PUBLISHED = "published", _("Ordre du jour publié")
    OPEN = "open", _("En cours")
    CLOSED = "closed", _("Clôturée")
    CANCELLED = "cancelled", _("Annulée")


class Session(models.Model):
    mandate = models.ForeignKey(
        Mandate, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("mandat")
    )
    title = models.CharField(_("intitulé"), max_length=200)
    starts_at = models.DateTimeField(_("date et heure"))
    place = models.CharField(_("lieu"), max_length=255)
    capacity_minutes = models.PositiveSmallIntegerField(
        _("durée disponible (minutes)"), default=180
    )
    status = models.CharField(
        max_length=10,
        choices=SessionStatus.choices,
        default=SessionStatus.PLANNED,
        verbose_name=_("état"),
    )
    agenda_published_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("ordre du jour publié le")
    )
    reminder_sent_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("rappel envoyé le")
    )
    opened_at = models.DateTimeField(null=True, blank=True, verbose_name=_("ouvert le"))
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("clos le"))

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("séance")
        verbose_name_plural = _("séances")
        indexes = [models.Index(fields=["status", "starts_at"], name="assembly_session_status_idx")]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%Y-%m-%d})"


class SourceKind(models.TextChoices):
    STAFF = "staff", _("Équipe")
    MEMBER_PROPOSAL = "member_proposal", _("Proposition d'un membre")
    INITIATIVE = "initiative", _("Initiative citoyenne")
    REFERENDUM_RESULT = "referendum_result", _("Résultat de référendum")


class AgendaItem(models.Model):
    mandate = models.ForeignKey(
        Mandate, on_delete=models.PROTECT, related_name="agenda_items", verbose_name=_("mandat")
    )
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="agenda_items", verbose_name=_("séance")
    )
    position = models.PositiveSmallIntegerField(verbose_name=_("position"))
    title = models.CharField(_("intitulé"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    duration_minutes = models.PositiveSmallIntegerField(_("durée (minutes)"))
    source_kind = models.CharField(
        max_length=20, choices=SourceKind.choices, verbose_name=_("type d'origine")
    )
    source_id = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("origine (identifiant)")
    )
    source_url = models.CharField(
        max_length=500, blank=True, verbose_name=_("adresse de l'origine")
    )
    obligation_id = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("engagement (identifiant)")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("créé le"))

    class Meta:
        ordering = ["session", "position", "id"]
        verbose_name = _("point de l'ordre du jour")
        verbose_name_plural = _("ordre du jour")
        constraints = [
            # An initiative (or a referendum result) is placed once per mandate, however many times
            # the placement job runs or races.
            models.UniqueConstraint(
                fields=["mandate", "source_kind", "source_id"],
                condition=Q(source_id__isnull=False),
                name="agenda_source_once_per_mandate",
            ),
            models.CheckConstraint(
                condition=Q(source_kind__in=["staff", "member_proposal"])
                | Q(source_id__isnull=False),
                name="agenda_external_source_has_id",
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1), name="agenda_duration_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("séance")
    )
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="attendances", verbose_name=_("membre")
    )
    present = models.BooleanField(verbose_name=_("présent"))
    recorded_at = models.DateTimeField(verbose_name=_("enregistré le"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("enregistré par"),
    )

    class Meta:
        verbose_name = _("présence")
        verbose_name_plural = _("présences")
        constraints = [
            models.UniqueConstraint(fields=["session", "member"], name="attendance_once"),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}/{self.member_id}: {self.present}"


class Majority(models.TextChoices):
    SIMPLE = "simple", _("Majorité simple (plus de pour que de contre)")
    ABSOLUTE = "absolute", _("Majorité absolue des membres présents")
    TWO_THIRDS = "two_thirds", _("Majorité des deux tiers des suffrages exprimés")


class MotionKind(models.TextChoices):
    ORDINARY = "ordinary", _("Motion")
    RECOMMENDATION = "recommendation", _("Recommandation")
    MINUTES_APPROVAL = "minutes_approval", _("Approbation d'un procès-verbal")


class MotionStatus(models.TextChoices):
    DRAFT = "draft", _("En préparation")
    OPEN = "open", _("Vote ouvert")
    CLOSED = "closed", _("Vote clos")


class MotionResult(models.TextChoices):
    ADOPTED = "adopted", _("Adoptée")
    REJECTED = "rejected", _("Rejetée")


class Motion(models.Model):
    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="motions", verbose_name=_("séance")
    )
    agenda_item = models.ForeignKey(
        AgendaItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="motions",
        verbose_name=_("point de l'ordre du jour"),
    )
    kind = models.CharField(
        max_length=16,
        choices=MotionKind.choices,
        default=MotionKind.ORDINARY,
        verbose_name=_("type"),
    )
    # For a minutes approval: the session whose minutes are approved.
    minutes_session = models.ForeignKey(
        Session,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("séance du procès-verbal"),
    )
    title = models.CharField(_("intitulé"), max_length=255)
    text = models.TextField(_("texte"), blank=True)
    majority = models.CharField(_("majorité requise"), max_length=12, choices=Majority.choices)
    status = models.CharField(
        max_length=8,
        choices=MotionStatus.choices,
        default=MotionStatus.DRAFT,
        verbose_name=_("état"),
    )
    result = models.CharField(
        max_length=8, choices=MotionResult.choices, blank=True, verbose_name=_("résultat")
    )
    votes_for = models.PositiveSmallIntegerField(default=0, verbose_name=_("voix pour"))
    votes_against = models.PositiveSmallIntegerField(default=0, verbose_name=_("voix contre"))
    abstentions = models.PositiveSmallIntegerField(default=0, verbose_name=_("abstentions"))
    present_count = models.PositiveSmallIntegerField(default=0, verbose_name=_("présents"))
    active_count = models.PositiveSmallIntegerField(
        default=0, verbose_name=_("membres en fonction")
    )
    opened_at = models.DateTimeField(null=True, blank=True, verbose_name=_("ouvert le"))
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("clos le"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("créé le"))

    class Meta:
        ordering = ["session", "id"]
        verbose_name = _("motion")
        verbose_name_plural = _("motions")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="closed", closed_at__isnull=False) & ~Q(result="")
                | (~Q(status="closed") & Q(closed_at__isnull=True, result="")),
                name="motion_result_iff_closed",
            ),
            models.CheckConstraint(
                condition=~Q(kind="minutes_approval") | Q(minutes_session__isnull=False),
                name="motion_minutes_approval_names_session",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class VoteChoice(models.TextChoices):
    FOR = "for", _("Pour")
    AGAINST = "against", _("Contre")
    ABSTAIN = "abstain", _("Abstention")


class MotionVote(models.Model):
    motion = models.ForeignKey(
        Motion, on_delete=models.CASCADE, related_name="votes", verbose_name=_("motion")
    )
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="votes", verbose_name=_("membre")
    )
    choice = models.CharField(max_length=8, choices=VoteChoice.choices, verbose_name=_("choix"))
    recorded_at = models.DateTimeField(verbose_name=_("enregistré le"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("enregistré par"),
    )

    class Meta:
        verbose_name = _("vote d'un membre")
        verbose_name_plural = _("votes des membres")
        constraints = [
            models.UniqueConstraint(fields=["motion", "member"], name="motion_vote_once"),
        ]

    def __str__(self) -> str:
        return f"{self.motion_id}/{self.member_id}"
