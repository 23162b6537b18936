"""The citizens' assembly: mandates drawn by lot, sessions, votes, minutes and recommendations.

Cross-instrument links (an initiative on the agenda, a recommendation turned into a referendum) are a
kind plus an integer id, never a foreign key: the instrument apps migrate independently.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civic.eligibility import Predicate


class MandateStatus(models.TextChoices):
    DRAFT = "draft", _("En préparation")
    RECRUITING = "recruiting", _("Appel aux volontaires")
    COMMITTED = "committed", _("Engagement publié, tirage à venir")
    SEATED = "seated", _("En fonction")
    CLOSED = "closed", _("Terminé")


class Mandate(models.Model):
    title = models.CharField(_("intitulé"), max_length=200)
    description = models.TextField(_("présentation"), blank=True)
    starts_on = models.DateField(_("début du mandat"))
    ends_on = models.DateField(_("fin du mandat"))
    size = models.PositiveSmallIntegerField(_("nombre de membres"))
    reserve_size = models.PositiveSmallIntegerField(_("taille de la liste de réserve"), default=0)
    invitation_count = models.PositiveIntegerField(_("nombre d'invitations"), default=0)
    eligibility = models.CharField(
        _("qui peut être tiré au sort"),
        max_length=32,
        choices=Predicate.choices,
        default=Predicate.RESIDENT_16,
    )
    # Quorum: at least this share of active members present (percent, 1..100).
    quorum_percent = models.PositiveSmallIntegerField(_("quorum (% des membres)"), default=50)
    rules_reference = models.CharField(
        _("règlement de référence"),
        max_length=200,
        default="Règlement intérieur de l'assemblée citoyenne",
    )
    initiative_item_minutes = models.PositiveSmallIntegerField(
        _("durée d'un point d'initiative (minutes)"), default=30
    )
    agenda_publication_days = models.PositiveSmallIntegerField(
        _("publication de l'ordre du jour (jours avant)"), default=7
    )
    status = models.CharField(
        max_length=12, choices=MandateStatus.choices, default=MandateStatus.DRAFT
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("mandat de l'assemblée")
        verbose_name_plural = _("mandats de l'assemblée")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gt=models.F("starts_on")), name="mandate_dates"
            ),
            models.CheckConstraint(condition=Q(size__gte=1), name="mandate_size_positive"),
            models.CheckConstraint(
                condition=Q(quorum_percent__gte=1, quorum_percent__lte=100),
                name="mandate_quorum_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class FeatureKind(models.TextChoices):
    GENDER = "gender", _("Genre (déclaré)")
    AGE_BAND = "age_band", _("Tranche d'âge (registre)")
    DISTRICT = "district", _("Quartier (registre)")
    DECLARED = "declared", _("Autre critère déclaré")


class Feature(models.Model):
    """A stratification criterion. Age band and district come from the register, the others are
    declared by the volunteer."""

    mandate = models.ForeignKey(Mandate, on_delete=models.CASCADE, related_name="features")
    key = models.SlugField(_("clé"), max_length=32)
    label = models.CharField(_("libellé"), max_length=120)
    kind = models.CharField(_("source"), max_length=12, choices=FeatureKind.choices)

    class Meta:
        ordering = ["mandate", "key"]
        verbose_name = _("critère")
        verbose_name_plural = _("critères")
        constraints = [
            models.UniqueConstraint(fields=["mandate", "key"], name="feature_key_unique"),
            models.UniqueConstraint(
                fields=["mandate", "kind"],
                condition=~Q(kind="declared"),
                name="feature_builtin_once",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class Quota(models.Model):
    """A value of a feature with its min and max seats. For age bands the value is "16-29" or
    "60+"; for districts it is the district code."""

    feature = models.ForeignKey(Feature, on_delete=models.CASCADE, related_name="quotas")
    value = models.CharField(_("valeur"), max_length=32)
    label = models.CharField(_("libellé"), max_length=120)
    min = models.PositiveSmallIntegerField(_("minimum"))
    max = models.PositiveSmallIntegerField(_("maximum"))

    class Meta:
        ordering = ["feature", "value"]
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        constraints = [
            models.UniqueConstraint(fields=["feature", "value"], name="quota_value_unique"),
            models.CheckConstraint(condition=Q(max__gte=models.F("min")), name="quota_min_le_max"),
        ]

    def __str__(self) -> str:
        return f"{self.feature.key}={self.value} [{self.min}, {self.max}]"


class InvitationBatch(models.Model):
    """Stage one: a uniformly random sample of the register, reproducible from its seed."""

    mandate = models.ForeignKey(Mandate, on_delete=models.CASCADE, related_name="batches")
    seed = models.CharField(max_length=64)
    requested = models.PositiveIntegerField()
    population = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("lot d'invitations")
        verbose_name_plural = _("lots d'invitations")

    def __str__(self) -> str:
        return f"{self.mandate_id}/{self.pk} ({self.requested})"


class InvitationStatus(models.TextChoices):
    SENT = "sent", _("Envoyée")
    ACCEPTED = "accepted", _("Acceptée")
    DECLINED = "declined", _("Déclinée")


class Invitation(models.Model):
    """The sign-up token is not stored: it is `<id>.<keyed digest of the id>`, recomputed on demand
    (mail-merge exports) and checked in constant time."""

    mandate = models.ForeignKey(Mandate, on_delete=models.CASCADE, related_name="invitations")
    batch = models.ForeignKey(InvitationBatch, on_delete=models.CASCADE, related_name="invitations")
    register_entry = models.ForeignKey(
        "civic.RegisterEntry", on_delete=models.PROTECT, related_name="assembly_invitations"
    )
    status = models.CharField(
        max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.SENT
    )
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["mandate", "register_entry"], name="invitation_once_per_mandate"
            ),
            models.CheckConstraint(
                condition=Q(status="sent", answered_at__isnull=True)
                | (~Q(status="sent") & Q(answered_at__isnull=False)),
                name="invitation_answered_iff_answered_at",
            ),
        ]

    def __str__(self) -> str:
        return f"invitation {self.pk}"


class Volunteer(models.Model):
    """Someone who answered an invitation. `pseudonym` is random and is all the public ever sees."""

    mandate = models.ForeignKey(Mandate, on_delete=models.CASCADE, related_name="volunteers")
    invitation = models.OneToOneField(
        Invitation, on_delete=models.PROTECT, related_name="volunteer"
    )
    register_entry = models.ForeignKey(
        "civic.RegisterEntry", on_delete=models.PROTECT, related_name="assembly_volunteers"
    )
    pseudonym = models.CharField(max_length=16)
    features = models.JSONField(default=dict)  # {feature key: value}
    email = models.EmailField(_("adresse e-mail"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=32, blank=True)
    consent_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # Under the committed lottery (set when the commitment is published).
    selection_probability = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pseudonym"]
        verbose_name = _("volontaire")
        verbose_name_plural = _("volontaires")
        constraints = [
            models.UniqueConstraint(
                fields=["mandate", "pseudonym"], name="volunteer_pseudonym_unique"
            ),
            models.UniqueConstraint(
                fields=["mandate", "register_entry"], name="volunteer_once_per_mandate"
            ),
        ]

    def __str__(self) -> str:
        return self.pseudonym


class DrawCommitment(models.Model):
    """Published before the seed exists: `digest` is SHA-256 of `payload` (pool, quotas, algorithm,
    library version, committed lottery, seed source). The seed is recorded once known."""

    mandate = models.OneToOneField(Mandate, on_delete=models.PROTECT, related_name="commitment")
    payload = models.JSONField()
    digest = models.CharField(max_length=64, unique=True)
    pool_digest = models.CharField(max_length=64)
    quotas_digest = models.CharField(max_length=64)
    algorithm = models.CharField(max_length=32)
    library = models.CharField(max_length=64)
    seed_source = models.CharField(_("source de l'aléa"), max_length=500)
    seed_expected_at = models.DateTimeField(_("aléa connu à partir du"))
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    seed = models.CharField(_("valeur de l'aléa"), max_length=500, blank=True)
    seed_recorded_at = models.DateTimeField(null=True, blank=True)
    ticket = models.PositiveIntegerField(null=True, blank=True)
    panel = models.JSONField(default=list)  # pseudonyms, sorted
    reserve = models.JSONField(default=list)  # pseudonyms, in call order
    maximin_value = models.FloatField(default=0)

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
        ]

    def __str__(self) -> str:
        return self.digest[:12]


class MemberStatus(models.TextChoices):
    ACTIVE = "active", _("En fonction")
    LEFT = "left", _("Parti (siège vacant)")
    REPLACED = "replaced", _("Parti, remplacé")


class MemberSource(models.TextChoices):
    DRAW = "draw", _("Tirage")
    RESERVE = "reserve", _("Liste de réserve")


class Member(models.Model):
    mandate = models.ForeignKey(Mandate, on_delete=models.PROTECT, related_name="members")
    volunteer = models.OneToOneField(Volunteer, on_delete=models.PROTECT, related_name="member")
    seat = models.PositiveSmallIntegerField()
    source = models.CharField(max_length=8, choices=MemberSource.choices)
    status = models.CharField(
        max_length=8, choices=MemberStatus.choices, default=MemberStatus.ACTIVE
    )
    first_name = models.CharField(_("prénom"), max_length=150)
    district_name = models.CharField(_("quartier"), max_length=120)
    joined_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)
    left_reason = models.CharField(max_length=200, blank=True)
    replaced_by = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaces"
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
    mandate = models.ForeignKey(Mandate, on_delete=models.PROTECT, related_name="reserves")
    volunteer = models.OneToOneField(Volunteer, on_delete=models.PROTECT, related_name="reserve")
    rank = models.PositiveSmallIntegerField()
    status = models.CharField(
        max_length=8, choices=ReserveStatus.choices, default=ReserveStatus.WAITING
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


class SessionStatus(models.TextChoices):
    PLANNED = "planned", _("Prévue")
    PUBLISHED = "published", _("Ordre du jour publié")
    OPEN = "open", _("En cours")
    CLOSED = "closed", _("Close")
    CANCELLED = "cancelled", _("Annulée")


class Session(models.Model):
    mandate = models.ForeignKey(Mandate, on_delete=models.PROTECT, related_name="sessions")
    title = models.CharField(_("intitulé"), max_length=200)
    starts_at = models.DateTimeField(_("date et heure"))
    place = models.CharField(_("lieu"), max_length=255)
    capacity_minutes = models.PositiveSmallIntegerField(
        _("durée disponible (minutes)"), default=180
    )
    status = models.CharField(
        max_length=10, choices=SessionStatus.choices, default=SessionStatus.PLANNED
    )
    agenda_published_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

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
    mandate = models.ForeignKey(Mandate, on_delete=models.PROTECT, related_name="agenda_items")
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="agenda_items")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(_("intitulé"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    duration_minutes = models.PositiveSmallIntegerField(_("durée (minutes)"))
    source_kind = models.CharField(max_length=20, choices=SourceKind.choices)
    source_id = models.PositiveIntegerField(null=True, blank=True)
    source_url = models.CharField(max_length=500, blank=True)
    obligation_id = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

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
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendances")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="attendances")
    present = models.BooleanField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
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
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="motions")
    agenda_item = models.ForeignKey(
        AgendaItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="motions"
    )
    kind = models.CharField(max_length=16, choices=MotionKind.choices, default=MotionKind.ORDINARY)
    # For a minutes approval: the session whose minutes are approved.
    minutes_session = models.ForeignKey(
        Session, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    title = models.CharField(_("intitulé"), max_length=255)
    text = models.TextField(_("texte"), blank=True)
    majority = models.CharField(_("majorité requise"), max_length=12, choices=Majority.choices)
    status = models.CharField(
        max_length=8, choices=MotionStatus.choices, default=MotionStatus.DRAFT
    )
    result = models.CharField(max_length=8, choices=MotionResult.choices, blank=True)
    votes_for = models.PositiveSmallIntegerField(default=0)
    votes_against = models.PositiveSmallIntegerField(default=0)
    abstentions = models.PositiveSmallIntegerField(default=0)
    present_count = models.PositiveSmallIntegerField(default=0)
    active_count = models.PositiveSmallIntegerField(default=0)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

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
    motion = models.ForeignKey(Motion, on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="votes")
    choice = models.CharField(max_length=8, choices=VoteChoice.choices)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("vote d'un membre")
        verbose_name_plural = _("votes des membres")
        constraints = [
            models.UniqueConstraint(fields=["motion", "member"], name="motion_vote_once"),
        ]

    def __str__(self) -> str:
        return f"{self.motion_id}/{self.member_id}"


class MinutesStatus(models.TextChoices):
    DRAFT = "draft", _("Projet")
    APPROVED = "approved", _("Approuvé")
    PUBLISHED = "published", _("Publié")


class Minutes(models.Model):
    session = models.OneToOneField(Session, on_delete=models.PROTECT, related_name="minutes")
    body = models.TextField(_("texte"))
    status = models.CharField(
        max_length=10, choices=MinutesStatus.choices, default=MinutesStatus.DRAFT
    )
    drafted_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_in = models.ForeignKey(
        Session, on_delete=models.PROTECT, null=True, blank=True, related_name="approved_minutes"
    )
    approval_motion = models.ForeignKey(
        Motion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("procès-verbal")
        verbose_name_plural = _("procès-verbaux")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft", approved_at__isnull=True, approved_in__isnull=True)
                | (~Q(status="draft") & Q(approved_at__isnull=False, approved_in__isnull=False)),
                name="minutes_approved_iff_approval",
            ),
            models.CheckConstraint(
                condition=Q(status="published", published_at__isnull=False)
                | (~Q(status="published") & Q(published_at__isnull=True)),
                name="minutes_published_iff_published_at",
            ),
        ]

    def __str__(self) -> str:
        return f"PV {self.session_id}"


class RecommendationStatus(models.TextChoices):
    ADOPTED = "adopted", _("Adoptée par l'assemblée")
    REFERRED = "referred", _("Transmise au conseil municipal")
    ANSWERED = "answered", _("Réponse du conseil reçue")
    REFERENDUM = "referendum", _("Transformée en projet de référendum")


class Recommendation(models.Model):
    mandate = models.ForeignKey(Mandate, on_delete=models.PROTECT, related_name="recommendations")
    motion = models.OneToOneField(
        Motion, on_delete=models.PROTECT, null=True, blank=True, related_name="recommendation"
    )
    title = models.CharField(_("intitulé"), max_length=255)
    text = models.TextField(_("texte"))
    status = models.CharField(
        max_length=12, choices=RecommendationStatus.choices, default=RecommendationStatus.ADOPTED
    )
    adopted_at = models.DateTimeField()
    referred_at = models.DateTimeField(null=True, blank=True)
    answer_due = models.DateField(_("réponse attendue avant le"), null=True, blank=True)
    council_answer = models.TextField(_("réponse du conseil"), blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    # Converted into a referendum campaign draft, owned by the referendums app.
    target_kind = models.CharField(max_length=32, blank=True)
    target_id = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-adopted_at", "-id"]
        verbose_name = _("recommandation")
        verbose_name_plural = _("recommandations")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status__in=["referred", "answered"])
                | Q(referred_at__isnull=False, answer_due__isnull=False),
                name="recommendation_referred_has_deadline",
            ),
            models.CheckConstraint(
                condition=~Q(status="answered") | Q(answered_at__isnull=False),
                name="recommendation_answered_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="referendum") | Q(target_id__isnull=False),
                name="recommendation_referendum_has_target",
            ),
            models.UniqueConstraint(
                fields=["target_kind", "target_id"],
                condition=Q(target_id__isnull=False),
                name="recommendation_target_once",
            ),
        ]

    def __str__(self) -> str:
        return self.title
