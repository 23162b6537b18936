"""Droit d'Initiative Locale: instruments as data, initiatives, signatures, counts, obligations.

Design notes (the why; the what is in the fields):
- An instrument type is data a city can read and, within the law, adjust (CIVIC-RULES). An initiative
  runs on one or more tracks, one per instrument type; a signature counts on every track its signer is
  eligible for, recorded as a bit mask over the initiative's track positions.
- Signatures reference the initiative, so no counter lives on the initiative row: signing adds a
  delta to one slot row in `SignatureCountSlot` (per initiative, track mask and writing connection); a tick folds the slots into `InitiativeCount`
  (the published figure) and deletes them, so the slot table only ever holds unfolded deltas.
- A rung crossing is a guarded UPDATE of `TrackRung.reached_at` (acts once, however many workers race);
  the obligation it creates is one-to-one with the track rung.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civic.eligibility import Predicate
from civic.models import District, RegisterEntry

# Position of the "all signatures" figure in the slot and count tables; tracks use 0..MAX_TRACKS-1.
TOTAL_TRACK = -1
MAX_TRACKS = 8
COUNT_SLOTS = 16


class LegalRegime(models.TextChoices):
    CHARTER = "charter", _("Charte de la participation (engagement de la ville)")
    L1112_16 = "l1112_16", _("Pétition pour une consultation (CGCT L1112-16)")
    L5211_49 = "l5211_49", _("Pétition intercommunale (CGCT L5211-49)")


class Collectivity(models.TextChoices):
    COMMUNE = "commune", _("Commune")
    OTHER = "other", _("Autre collectivité territoriale")
    INTERCOMMUNALITY = "intercommunality", _("Établissement public de coopération intercommunale")


class RungKind(models.TextChoices):
    ABSOLUTE = "absolute", _("Nombre de signatures")
    SHARE = "share", _("Part de la population éligible")


class ObligationKind(models.TextChoices):
    MEETING = "meeting", _("Rencontre avec les élus et compte rendu publié")
    COUNCIL_AGENDA = "council_agenda", _("Inscription à l'ordre du jour du conseil municipal")
    REFERENDUM_DEBATE = "referendum_debate", _("Débat du conseil sur un référendum local")
    ASSEMBLY_AGENDA = "assembly_agenda", _("Inscription à l'ordre du jour de l'assemblée citoyenne")


class InstrumentType(models.Model):
    slug = models.SlugField(_("identifiant"), max_length=64, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    legal_regime = models.CharField(
        _("régime"), max_length=16, choices=LegalRegime.choices, default=LegalRegime.CHARTER
    )
    collectivity = models.CharField(
        _("collectivité"), max_length=16, choices=Collectivity.choices, default=Collectivity.COMMUNE
    )
    legal_basis = models.CharField(
        _("fondement"),
        max_length=120,
        help_text=_("L'article ou la charte qui fonde l'instrument, cité dans chaque refus."),
    )
    predicate = models.CharField(_("qui peut signer"), max_length=32, choices=Predicate.choices)
    window_days = models.PositiveIntegerField(_("durée de collecte (jours)"))
    min_promoters = models.PositiveSmallIntegerField(
        _("nombre minimal de porteurs"),
        default=1,
        help_text=_("Y compris la personne qui lance l'initiative."),
    )
    quarter_limit = models.BooleanField(
        _("une seule demande par signataire et par trimestre"), default=False
    )
    quarter_limit_rule = models.CharField(
        _("article de la limite trimestrielle"), max_length=120, blank=True
    )
    active = models.BooleanField(_("proposé aux habitants"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("type d'instrument")
        verbose_name_plural = _("types d'instrument")
        constraints = [
            models.CheckConstraint(
                condition=Q(window_days__gte=1), name="instrument_window_positive"
            ),
            models.CheckConstraint(
                condition=Q(min_promoters__gte=1), name="instrument_min_promoters_positive"
            ),
            models.CheckConstraint(
                condition=Q(quarter_limit=False) | ~Q(quarter_limit_rule=""),
                name="instrument_quarter_limit_names_rule",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from petitions.rules import instrument_type_violations

        instrument_type_violations(self)


class Rung(models.Model):
    instrument_type = models.ForeignKey(
        InstrumentType, on_delete=models.CASCADE, related_name="rungs", verbose_name=_("instrument")
    )
    order = models.PositiveSmallIntegerField(_("ordre"))
    kind = models.CharField(_("type de seuil"), max_length=8, choices=RungKind.choices)
    absolute_value = models.PositiveIntegerField(_("nombre de signatures"), null=True, blank=True)
    numerator = models.PositiveIntegerField(_("numérateur"), null=True, blank=True)
    denominator = models.PositiveIntegerField(_("dénominateur"), null=True, blank=True)
    obligation_kind = models.CharField(
        _("engagement"), max_length=24, choices=ObligationKind.choices
    )
    obligation_text = models.TextField(_("ce que la ville doit faire"))
    due_days = models.PositiveIntegerField(_("délai (jours)"))

    class Meta:
        ordering = ["instrument_type", "order"]
        verbose_name = _("palier")
        verbose_name_plural = _("paliers")
        constraints = [
            models.UniqueConstraint(fields=["instrument_type", "order"], name="rung_order_unique"),
            models.CheckConstraint(
                condition=(
                    Q(
                        kind=RungKind.ABSOLUTE,
                        absolute_value__gte=1,
                        numerator__isnull=True,
                        denominator__isnull=True,
                    )
                    | Q(
                        kind=RungKind.SHARE,
                        absolute_value__isnull=True,
                        numerator__gte=1,
                        denominator__gte=1,
                    )
                ),
                name="rung_kind_values",
            ),
            models.CheckConstraint(
                condition=Q(numerator__isnull=True) | Q(numerator__lte=models.F("denominator")),
                name="rung_share_at_most_one",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == RungKind.SHARE:
            return f"{self.numerator}/{self.denominator}"
        return str(self.absolute_value)

    def clean(self) -> None:
        from petitions.rules import rung_violations

        rung_violations(self)


class RejectionReason(models.Model):
    """Why an initiative is inadmissible: a list staff maintain, chosen at rejection."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    label = models.CharField(_("motif"), max_length=200)
    active = models.BooleanField(_("actif"), default=True)

    class Meta:
        ordering = ["label"]
        verbose_name = _("motif d'irrecevabilité")
        verbose_name_plural = _("motifs d'irrecevabilité")

    def __str__(self) -> str:
        return self.label


class Status(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    SUBMITTED = "submitted", _("Déposée")
    IN_REVIEW = "in_review", _("En cours d'examen")
    COLLECTING = "collecting", _("Collecte en cours")
    CLOSED = "closed", _("Collecte close")
    REJECTED = "rejected", _("Irrecevable")
    WITHDRAWN = "withdrawn", _("Retirée")


class Initiative(models.Model):
    title = models.CharField(_("titre"), max_length=200)
    summary = models.CharField(_("résumé"), max_length=500)
    body = models.TextField(_("texte de l'initiative"))
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("quartier concerné"),
    )
    initiator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="initiatives",
        verbose_name=_("initiateur"),
    )
    status = models.CharField(
        _("état"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    created_at = models.DateTimeField(_("créée le"))
    updated_at = models.DateTimeField(_("modifiée le"))
    submitted_at = models.DateTimeField(_("déposée le"), null=True, blank=True)
    review_started_at = models.DateTimeField(_("examen commencé le"), null=True, blank=True)
    published_at = models.DateTimeField(_("collecte ouverte le"), null=True, blank=True)
    closes_at = models.DateTimeField(_("collecte close le"), null=True, blank=True)
    closed_at = models.DateTimeField(_("close le"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("déclarée irrecevable le"), null=True, blank=True)
    rejection_reason = models.ForeignKey(
        RejectionReason,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("motif"),
    )
    rejection_text = models.TextField(_("explication"), blank=True)
    withdrawn_at = models.DateTimeField(_("retirée le"), null=True, blank=True)
    # Set once by the reminder job ("7 days left"): the guarded UPDATE on NULL sends it once.
    reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent chargé de l'examen"),
    )

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in Status]), name="initiative_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=Status.DRAFT) | Q(submitted_at__isnull=False),
                name="initiative_submitted_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[Status.COLLECTING, Status.CLOSED])
                | Q(published_at__isnull=False, closes_at__isnull=False),
                name="initiative_collecting_has_window",
            ),
            models.CheckConstraint(
                condition=Q(closes_at__isnull=True) | Q(closes_at__gt=models.F("published_at")),
                name="initiative_window_after_opening",
            ),
            models.CheckConstraint(
                condition=Q(status=Status.CLOSED, closed_at__isnull=False)
                | (~Q(status=Status.CLOSED) & Q(closed_at__isnull=True)),
                name="initiative_closed_iff_closed_at",
            ),
            models.CheckConstraint(
                condition=Q(
                    status=Status.REJECTED,
                    rejected_at__isnull=False,
                    rejection_reason__isnull=False,
                )
                | (~Q(status=Status.REJECTED) & Q(rejected_at__isnull=True)),
                name="initiative_rejected_iff_reason",
            ),
            models.CheckConstraint(
                condition=Q(status=Status.WITHDRAWN, withdrawn_at__isnull=False)
                | (~Q(status=Status.WITHDRAWN) & Q(withdrawn_at__isnull=True)),
                name="initiative_withdrawn_iff_withdrawn_at",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "closes_at"], name="initiative_status_closes_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("petitions:detail", args=[self.pk])


class InitiativeTrack(models.Model):
    """One instrument an initiative runs on; thresholds are resolved when collection opens."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="tracks")
    instrument_type = models.ForeignKey(
        InstrumentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("instrument")
    )
    position = models.PositiveSmallIntegerField()
    # Copied at opening, so later edits of the instrument type never change a running initiative.
    predicate = models.CharField(max_length=32, choices=Predicate.choices)
    population_at_open = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["initiative", "position"]
        verbose_name = _("volet")
        verbose_name_plural = _("volets")
        constraints = [
            models.UniqueConstraint(
                fields=["initiative", "position"], name="track_position_unique"
            ),
            models.UniqueConstraint(
                fields=["initiative", "instrument_type"], name="track_instrument_unique"
            ),
            models.CheckConstraint(
                condition=Q(position__lt=MAX_TRACKS), name="track_position_in_mask"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.initiative_id}/{self.position}"

    @property
    def bit(self) -> int:
        return 1 << self.position


class TrackRung(models.Model):
    """A rung of one track with its threshold fixed at opening; `reached_at` is set exactly once."""

    track = models.ForeignKey(InitiativeTrack, on_delete=models.CASCADE, related_name="rungs")
    rung = models.ForeignKey(Rung, on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField()
    threshold = models.PositiveIntegerField()
    obligation_kind = models.CharField(max_length=24, choices=ObligationKind.choices)
    obligation_text = models.TextField()
    due_days = models.PositiveIntegerField()
    reached_at = models.DateTimeField(null=True, blank=True)
    reached_count = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["track", "order"]
        constraints = [
            models.UniqueConstraint(fields=["track", "rung"], name="track_rung_unique"),
            models.CheckConstraint(
                condition=Q(reached_at__isnull=True, reached_count__isnull=True)
                | Q(reached_at__isnull=False, reached_count__isnull=False),
                name="track_rung_reached_with_count",
            ),
        ]
        indexes = [
            models.Index(
                fields=["track"],
                name="track_rung_unreached_idx",
                condition=Q(reached_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.track} ≥ {self.threshold}"


class Promoter(models.Model):
    """A co-author invited by the initiator; counts toward the minimum once they co-sign."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="promoters")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="promoted_initiatives"
    )
    invited_at = models.DateTimeField()
    cosigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["invited_at", "id"]
        verbose_name = _("porteur")
        verbose_name_plural = _("porteurs")
        constraints = [
            models.UniqueConstraint(fields=["initiative", "user"], name="promoter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.initiative_id}:{self.user_id}"


class Channel(models.TextChoices):
    ONLINE = "online", _("En ligne")
    PAPER = "paper", _("Papier")


class Signature(models.Model):
    """One person's support. Online and paper share the table, so one constraint covers both.

    No name is stored: the register entry is the identity, `identity_hash` (the register's keyed hash
    of the normalised identity) also catches one person holding two register entries, `facts` keeps
    the eligibility verdicts at signing time and `district` serves statistics.
    """

    id = models.BigAutoField(primary_key=True)
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="signatures")
    register_entry = models.ForeignKey(RegisterEntry, on_delete=models.PROTECT, related_name="+")
    identity_hash = models.CharField(max_length=64)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    created_at = models.DateTimeField()
    track_mask = models.PositiveSmallIntegerField()
    facts = models.JSONField()
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+")
    # "<scope>:<year>Q<n>" when the signature counts on a track limited to one request per quarter:
    # the unique constraint below makes the limit hold under concurrency too.
    quarter_key = models.CharField(max_length=48, null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        constraints = [
            models.UniqueConstraint(
                fields=["initiative", "register_entry"], name="signature_one_per_entry"
            ),
            models.UniqueConstraint(
                fields=["initiative", "identity_hash"], name="signature_one_per_identity"
            ),
            models.UniqueConstraint(
                fields=["register_entry", "quarter_key"],
                condition=Q(quarter_key__isnull=False),
                name="signature_one_request_per_quarter",
            ),
            models.CheckConstraint(
                condition=Q(track_mask__gte=1), name="signature_counts_somewhere"
            ),
            models.CheckConstraint(
                condition=Q(channel=Channel.ONLINE, entered_by__isnull=True)
                | Q(channel=Channel.PAPER, entered_by__isnull=False),
                name="signature_paper_has_agent",
            ),
        ]
        indexes = [models.Index(fields=["register_entry"], name="signature_entry_idx")]

    def __str__(self) -> str:
        return f"{self.initiative_id}:{self.pk}"


class PaperRejectionReason(models.TextChoices):
    NOT_ON_REGISTER = "not_on_register", _("Introuvable sur le registre ou la liste électorale")
    NOT_ELIGIBLE = "not_eligible", _("Ne remplit pas les conditions pour signer")
    DUPLICATE = "duplicate", _("A déjà signé (en ligne ou sur papier)")
    QUARTER_LIMIT = "quarter_limit", _("A déjà signé une demande ce trimestre")
    INCOMPLETE = "incomplete", _("Mentions incomplètes ou illisibles")


class PaperRejection(models.Model):
    """The register of rejected paper signatures (CGCT L1112-16: admitted and rejected are kept)."""

    initiative = models.ForeignKey(
        Initiative, on_delete=models.CASCADE, related_name="paper_rejections"
    )
    reason = models.CharField(_("motif"), max_length=24, choices=PaperRejectionReason.choices)
    sheet_ref = models.CharField(_("feuille et ligne"), max_length=64, blank=True)
    register_entry = models.ForeignKey(
        RegisterEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("remarque"), max_length=255, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("signature papier rejetée")
        verbose_name_plural = _("registre des signatures papier rejetées")

    def __str__(self) -> str:
        return f"{self.initiative_id}:{self.reason}"


class SignatureCountSlot(models.Model):
    """Unfolded count deltas, keyed by the signature's track mask: signing upserts +1 on ONE row,
    its connection's slot for its mask; the fold expands masks into per-track counts and deletes
    the rows it took. Mask 0 counts on the total only (used by recount repairs). No foreign key:
    the slot table must never lock or be locked with the initiative."""

    initiative_id = models.BigIntegerField()
    mask = models.SmallIntegerField()
    slot = models.SmallIntegerField()
    delta = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["initiative_id", "mask", "slot"], name="count_slot_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.initiative_id}/{self.mask}/{self.slot}: {self.delta:+d}"


class InitiativeCount(models.Model):
    """The published count of one track (or TOTAL_TRACK), exact once the fold has run."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="counts")
    track = models.SmallIntegerField()
    count = models.IntegerField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["initiative", "track"]
        constraints = [
            models.UniqueConstraint(fields=["initiative", "track"], name="count_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.initiative_id}/{self.track}: {self.count}"


class ObligationStatus(models.TextChoices):
    OPEN = "open", _("À faire")
    DONE = "done", _("Fait")


class Obligation(models.Model):
    """What the city owes once a rung is reached, tracked to done in public."""

    track_rung = models.OneToOneField(
        TrackRung, on_delete=models.PROTECT, related_name="obligation"
    )
    initiative = models.ForeignKey(Initiative, on_delete=models.PROTECT, related_name="obligations")
    kind = models.CharField(_("engagement"), max_length=24, choices=ObligationKind.choices)
    text = models.TextField(_("ce que la ville doit faire"))
    created_at = models.DateTimeField()
    due_at = models.DateTimeField(_("échéance"))
    status = models.CharField(
        _("état"), max_length=8, choices=ObligationStatus.choices, default=ObligationStatus.OPEN
    )
    done_at = models.DateTimeField(_("fait le"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    evidence_url = models.URLField(_("lien (compte rendu, délibération)"), blank=True)
    evidence_text = models.TextField(_("compte rendu"), blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    overdue_flagged_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("engagement de la ville")
        verbose_name_plural = _("engagements de la ville")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    status=ObligationStatus.OPEN, done_at__isnull=True, done_by__isnull=True
                )
                | (
                    Q(status=ObligationStatus.DONE, done_at__isnull=False, done_by__isnull=False)
                    & (~Q(evidence_url="") | ~Q(evidence_text=""))
                ),
                name="obligation_done_has_evidence",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at"], name="obligation_open_due_idx", condition=Q(status="open")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.initiative_id})"
