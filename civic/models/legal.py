"""What the legal pages say that only the city knows: one row, edited by the administrator.

The pages themselves (civic/templates/civic/legal/) are complete templates in French and English;
these fields fill them in. Retention periods are not here: the privacy notice reads them from the
settings and the instruments (civic/legal/retention.py), the very values the purge jobs apply.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AccessibilityStatus(models.TextChoices):
    """The three statuses of décret 2019-768 (RGAA), shown in every page's footer."""

    NONE = "none", _("non conforme")
    PARTIAL = "partial", _("partiellement conforme")
    FULL = "full", _("totalement conforme")


class LegalSettings(models.Model):
    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    # Mentions légales (LCEN art. 6)
    publisher = models.CharField(_("éditeur"), max_length=200, blank=True)
    publisher_address = models.TextField(_("adresse de l'éditeur"), blank=True)
    publisher_contact = models.CharField(_("contact de l'éditeur"), max_length=200, blank=True)
    director = models.CharField(
        _("directeur ou directrice de la publication"), max_length=200, blank=True
    )
    host = models.CharField(_("hébergeur"), max_length=200, blank=True)
    host_address = models.TextField(_("adresse de l'hébergeur"), blank=True)
    host_contact = models.CharField(_("contact de l'hébergeur"), max_length=200, blank=True)
    # Données personnelles (RGPD art. 13)
    controller = models.CharField(_("responsable du traitement"), max_length=200, blank=True)
    dpo_contact = models.CharField(
        _("contact du délégué à la protection des données"), max_length=200, blank=True
    )
    recipients = models.TextField(_("destinataires (services de la ville)"), blank=True)
    # Accessibilité (RGAA 4.1)
    accessibility_status = models.CharField(
        _("état de conformité"),
        max_length=8,
        choices=AccessibilityStatus.choices,
        default=AccessibilityStatus.NONE,
    )
    audit_date = models.DateField(_("date de l'audit"), null=True, blank=True)
    audit_version = models.CharField(_("référentiel de l'audit"), max_length=40, default="RGAA 4.1")
    audit_by = models.CharField(_("audit réalisé par"), max_length=200, blank=True)
    compliance_rate = models.PositiveSmallIntegerField(
        _("taux de conformité (%)"), null=True, blank=True
    )
    non_conformities = models.TextField(_("non-conformités connues"), blank=True)
    accessibility_contact = models.CharField(_("contact accessibilité"), max_length=200, blank=True)
    multi_year_plan = models.TextField(_("schéma pluriannuel et plan d'action"), blank=True)
    # Free text each page adds after its template (the city's own words).
    legal_notice_extra = models.TextField(_("mentions légales : texte ajouté"), blank=True)
    privacy_extra = models.TextField(_("données personnelles : texte ajouté"), blank=True)
    terms_extra = models.TextField(_("conditions d'utilisation : texte ajouté"), blank=True)
    updated_at = models.DateTimeField(_("mis à jour le"), auto_now=True)

    class Meta:
        verbose_name = _("pages légales")
        verbose_name_plural = _("pages légales")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="legal_settings_singleton"),
            models.CheckConstraint(
                condition=models.Q(compliance_rate__isnull=True)
                | models.Q(compliance_rate__lte=100),
                name="legal_settings_rate_percent",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Pages légales"))


class AuditIdentity(models.Model):
    """Who an audit entry's pseudonym is, kept apart from the hash chain.

    An entry names its actor by a stable pseudonym (`civic.audit.actor_pseudonym`), which the chain
    hashes; the e-mail address lives here, so the retention job can erase it once the period ends
    (`audit_identities_purge`) and the chain still verifies. The pseudonym stays: an auditor can
    still tell that two entries are the same actor's."""

    pseudonym = models.CharField(max_length=40, primary_key=True)
    email = models.EmailField(_("adresse e-mail"))
    last_seen_at = models.DateTimeField(_("dernière action le"), db_index=True)

    class Meta:
        verbose_name = _("identité du journal d'audit")
        verbose_name_plural = _("identités du journal d'audit")

    def __str__(self) -> str:
        return self.pseudonym
