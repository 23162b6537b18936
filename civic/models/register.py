"""Districts and the register: the electoral roll, the supplementary EU roll and other residents."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class District(models.Model):
    code = models.SlugField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("nom"), max_length=120, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("quartier")
        verbose_name_plural = _("quartiers")

    def __str__(self) -> str:
        return self.name


class EntryKind(models.TextChoices):
    ELECTOR = "elector", _("Électeur inscrit (liste principale)")
    EU_ELECTOR = "eu_elector", _("Ressortissant UE (liste complémentaire municipale)")
    RESIDENT = "resident", _("Résident non inscrit sur les listes")


class StrikeOffReason(models.TextChoices):
    # CIVIC-RULES, "Strike-offs": a person who left the roll keeps the signatures made while on it;
    # an annulled registration loses them, with the public reason "registration annulled".
    LEFT_ROLL = "left_roll", _("Radié·e de la liste (départ, inscription ailleurs, décès)")
    ANNULLED = "annulled", _("Inscription annulée (erreur, fraude, décision de justice)")


class RegisterEntry(models.Model):
    """One person known to the city: an elector on a roll, or a resident from the resident register.

    `ref` is the key of the source file (roll number or register id), which makes imports idempotent.
    `identity_hash` is a keyed hash of the normalised identity (names, birth date), used to match
    paper signatures to online ones without comparing names in clear.
    """

    ref = models.CharField(_("référence"), max_length=64, unique=True)
    kind = models.CharField(_("type"), max_length=16, choices=EntryKind.choices)
    last_name = models.CharField(_("nom"), max_length=150)
    first_names = models.CharField(_("prénoms"), max_length=150)
    birth_date = models.DateField(_("date de naissance"))
    address = models.CharField(_("adresse"), max_length=255)
    postcode = models.CharField(_("code postal"), max_length=10, blank=True)
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="entries", verbose_name=_("quartier")
    )
    roll_number = models.CharField(_("numéro d'électeur"), max_length=32, null=True, blank=True)
    identity_hash = models.CharField(
        max_length=64, db_index=True, editable=False, verbose_name=_("empreinte d'identité")
    )
    # Struck off the roll or moved away: kept (signatures refer to the facts at signing time) but no
    # longer eligible for anything new. `active` is false exactly when the entry is struck off, with
    # the date and reason of its current strike-off (RegisterStrikeOff keeps the history).
    active = models.BooleanField(_("actif"), default=True, editable=False)
    struck_off_at = models.DateTimeField(_("radié·e le"), null=True, blank=True, editable=False)
    struck_off_reason = models.CharField(
        _("motif de radiation"),
        max_length=16,
        choices=StrikeOffReason.choices,
        blank=True,
        default="",
        editable=False,
    )
    imported_at = models.DateTimeField(_("importé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("mis à jour le"), auto_now=True)

    class Meta:
        verbose_name = _("inscription au registre")
        verbose_name_plural = _("registre des résidents et électeurs")
        constraints = [
            models.UniqueConstraint(
                fields=["roll_number"],
                condition=models.Q(roll_number__isnull=False),
                name="register_roll_number_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=[k.value for k in EntryKind]),
                name="register_kind_valid",
            ),
            # No entry is inactive without a dated strike-off, nor struck off and still eligible.
            models.CheckConstraint(
                condition=models.Q(active=True, struck_off_at__isnull=True, struck_off_reason="")
                | models.Q(
                    active=False,
                    struck_off_at__isnull=False,
                    struck_off_reason__in=[r.value for r in StrikeOffReason],
                ),
                name="register_inactive_iff_struck_off",
            ),
        ]
        indexes = [models.Index(fields=["last_name", "birth_date"], name="register_name_birth_idx")]

    def __str__(self) -> str:
        return f"{self.last_name.upper()} {self.first_names} ({self.ref})"


class RegisterImport(models.Model):
    """The record of one CSV import: who, when, what it changed and every rejected line."""

    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("créé le"))
    actor = models.ForeignKey(
        "civic.User",
        on_delete=models.PROTECT,
        null=True,
        related_name="register_imports",
        verbose_name=_("auteur de l'action"),
    )
    filename = models.CharField(max_length=255, verbose_name=_("nom du fichier"))
    file_sha256 = models.CharField(max_length=64, verbose_name=_("empreinte SHA-256 du fichier"))
    rows_total = models.PositiveIntegerField(default=0, verbose_name=_("lignes"))
    created_count = models.PositiveIntegerField(default=0, verbose_name=_("créées"))
    updated_count = models.PositiveIntegerField(default=0, verbose_name=_("mises à jour"))
    unchanged_count = models.PositiveIntegerField(default=0, verbose_name=_("inchangées"))
    rejected = models.JSONField(
        default=list, verbose_name=_("rejetées")
    )  # [{"line": 12, "reason": "..."}]
    applied = models.BooleanField(default=False, verbose_name=_("appliqué"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import du registre")
        verbose_name_plural = _("imports du registre")

    def __str__(self) -> str:
        return f"{self.filename} ({self.created_at:%Y-%m-%d %H:%M})"


class RegisterStrikeOff(models.Model):
    """One strike-off of one entry: dated, with its reason, who or which import decided it, and its
    reversal if it was reversed. At most one strike-off of an entry is in force at a time."""

    entry = models.ForeignKey(
        RegisterEntry,
        on_delete=models.PROTECT,
        related_name="strike_offs",
        verbose_name=_("inscription"),
    )
    struck_off_at = models.DateTimeField(_("radié·e le"))
    reason = models.CharField(_("motif"), max_length=16, choices=StrikeOffReason.choices)
    note = models.CharField(_("remarque"), max_length=255, blank=True)
    register_import = models.ForeignKey(
        RegisterImport,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="strike_offs",
        verbose_name=_("import"),
    )
    actor = models.ForeignKey(
        "civic.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("auteur de l'action"),
    )
    reversed_at = models.DateTimeField(_("annulée le"), null=True, blank=True)
    reversed_by = models.ForeignKey(
        "civic.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("annulé par"),
    )
    reversal_note = models.CharField(_("motif de l'annulation"), max_length=255, blank=True)

    class Meta:
        ordering = ["-struck_off_at", "-id"]
        verbose_name = _("radiation")
        verbose_name_plural = _("radiations")
        constraints = [
            models.UniqueConstraint(
                fields=["entry"],
                condition=models.Q(reversed_at__isnull=True),
                name="strike_off_one_in_force",
            ),
            models.CheckConstraint(
                condition=models.Q(reason__in=[r.value for r in StrikeOffReason]),
                name="strike_off_reason_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} ({self.struck_off_at:%Y-%m-%d})"
